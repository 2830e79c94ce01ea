package io.funnel.engine.rerank;

import io.funnel.engine.retrieval.ItemAttributes;
import io.funnel.engine.retrieval.Popularity;

/**
 * The small context vector of the LinUCB exploration model: bias, freshness, popularity, trending and the user's
 * affinity to the item's category. The same code fills it when scoring (serving) and when learning (events).
 */
public final class ExplorationFeatures {
    /** Number of components. */
    public static final int WIDTH = 5;

    private ExplorationFeatures() {}

    /**
     * @param categoryShare per category, the share of the user's recent items in it
     */
    public static void fill(final float[] x, final int ordinal, final long nowMs, final Popularity popularity,
            final ItemAttributes attributes, final float[] categoryShare) {
        final double ageDays = Math.max(0, nowMs - attributes.createdAtMs(ordinal)) / 86_400_000.0;
        final int category = attributes.category(ordinal);
        x[0] = 1f;
        x[1] = (float) Math.exp(-ageDays / 7.0);
        x[2] = (float) Math.log1p(popularity.popularity(ordinal, nowMs)) / 10f;
        x[3] = Math.min(10f, popularity.trending(ordinal)) / 10f;
        x[4] = category >= 0 && category < categoryShare.length ? categoryShare[category] : 0f;
    }
}
