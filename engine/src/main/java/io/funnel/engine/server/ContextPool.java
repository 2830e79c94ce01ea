package io.funnel.engine.server;

import io.funnel.engine.pipeline.Pipeline;
import io.funnel.engine.pipeline.RequestContext;
import java.util.ArrayDeque;

/**
 * One event loop's pool of {@link RequestContext}s, shared by the listeners on that loop's verticle. Not thread-safe:
 * owned by one verticle, used only on its event loop.
 */
final class ContextPool {
    private static final int POOL_SIZE = 256;
    private final Pipeline pipeline;
    private final ArrayDeque<RequestContext> pool = new ArrayDeque<>();

    ContextPool(final Pipeline pipeline) {
        this.pipeline = pipeline;
    }

    /** A free context, or a new one when the pool is empty. */
    RequestContext acquire() {
        final RequestContext ctx = pool.pollFirst();
        return ctx != null ? ctx : pipeline.newContext();
    }

    /** Gives {@code ctx} back once its request is answered. */
    void release(final RequestContext ctx) {
        // A context that a late channel may still write into is left to the garbage collector.
        if (!ctx.abandoned() && pool.size() < POOL_SIZE) {
            pool.addFirst(ctx);
        }
    }
}
