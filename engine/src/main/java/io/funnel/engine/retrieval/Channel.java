package io.funnel.engine.retrieval;

import io.funnel.engine.pipeline.Candidates;
import io.funnel.engine.pipeline.RequestContext;

/**
 * A retrieval channel: proposes candidate items for a request, each with a channel-specific score (higher is
 * better). Channels must not block; one whose work is heavier than tens of microseconds declares
 * {@link #offload()} and the pipeline runs it on the worker pool, where its budget is enforced by a timeout.
 *
 * <p>Threading: {@link #retrieve} is called concurrently from event loops and workers; implementations keep
 * per-request state in {@code ctx} or {@code out} only.
 */
public interface Channel {
    /** Name in responses, metrics and config, e.g. {@code itemcf}. */
    String name();

    /** Whether the pipeline should run this channel off the event loop. */
    boolean offload();

    /** Writes up to the channel's configured number of candidates into {@code out} (already cleared). */
    void retrieve(RequestContext ctx, Candidates out);
}
