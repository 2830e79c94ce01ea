package io.funnel.engine.retrieval;

import io.funnel.ann.SearchResults;
import io.funnel.ann.VectorIndex;
import io.funnel.engine.pipeline.Candidates;
import io.funnel.engine.pipeline.RequestContext;

/**
 * Embedding retrieval: the items whose vectors score highest against the user's query vector, with the request's
 * filters (stock, category, already seen) applied inside the search. Users without a vector get nothing here.
 *
 * <p>Threading: safe for concurrent use; per-thread scratch holds the result buffer and the filter.
 */
public final class AnnChannel implements Channel {
    private final VectorIndex index;
    private final int k;
    private final boolean offload;
    private final boolean stockOnly;
    private final ThreadLocal<SearchResults> results;
    private final ThreadLocal<ItemAttributes.RequestFilter> filters;

    public AnnChannel(final VectorIndex index, final ItemAttributes attributes, final int k, final boolean offload,
            final boolean stockOnly) {
        this.index = index;
        this.k = k;
        this.offload = offload;
        this.stockOnly = stockOnly;
        this.results = ThreadLocal.withInitial(() -> new SearchResults(k));
        this.filters = ThreadLocal.withInitial(() -> attributes.new RequestFilter());
    }

    @Override
    public String name() {
        return "ann";
    }

    @Override
    public boolean offload() {
        return offload;
    }

    @Override
    public void retrieve(final RequestContext ctx, final Candidates out) {
        if (!ctx.hasUserVector()) {
            return;
        }
        final SearchResults r = results.get();
        final ItemAttributes.RequestFilter filter =
                filters.get().reset(ctx.request().category(), stockOnly, ctx.seen());
        final int n = index.search(ctx.userVector(), k, filter, r);
        // Scores can be negative (inner product); shift so the best is 1 and the channel's floor is 0.
        final float worst = n > 0 ? r.score(n - 1) : 0f;
        for (int i = 0; i < n; i++) {
            out.add(r.ordinal(i), r.score(i) - worst + 1e-3f);
        }
    }
}
