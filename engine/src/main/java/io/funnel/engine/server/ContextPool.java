package io.funnel.engine.server;

import io.funnel.codecs.BadInputException;
import io.funnel.codecs.RecommendRequest;
import io.funnel.engine.pipeline.Pipeline;
import io.funnel.engine.pipeline.RequestContext;
import java.util.ArrayDeque;
import java.util.function.Consumer;

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

    /**
     * A context whose request {@code decoder} filled and whose policy (if named) is configured.
     *
     * @throws BadInputException from the decoder, or naming {@code policy}; the context is back in the pool then
     */
    RequestContext acquire(final Consumer<RecommendRequest> decoder) {
        final RequestContext ctx = acquire();
        try {
            decoder.accept(ctx.request());
            final String policy = ctx.request().policy();
            if (policy != null && pipeline.policies().get(policy) == null) {
                throw new BadInputException("policy", "policy '" + policy + "' is not configured; known policies are "
                        + pipeline.policies().names());
            }
            return ctx;
        } catch (final BadInputException e) {
            release(ctx);
            throw e;
        }
    }

    /** Gives {@code ctx} back once its request is answered. */
    void release(final RequestContext ctx) {
        // A context that a late channel may still write into is left to the garbage collector.
        if (!ctx.abandoned() && pool.size() < POOL_SIZE) {
            pool.addFirst(ctx);
        }
    }
}
