package io.funnel.engine.pipeline;

import io.funnel.engine.retrieval.Popularity;
import io.funnel.features.ItemColumns;
import io.funnel.features.UserRow;
import java.util.List;

/**
 * The ranking model's input row for one candidate. The same code fills rows at training time and at serving time,
 * so the model always sees features computed the same way.
 *
 * <p>Threading: immutable; safe for concurrent use.
 */
public final class RankFeatures {
    /** Feature names in column order. */
    public static final List<String> NAMES = List.of(
            "dot", "itemcf", "popular", "ann", "log_popularity", "trending", "category_affinity", "freshness",
            "channel_count");
    /** Number of features per row. */
    public static final int WIDTH = NAMES.size();
    private static final double FRESHNESS_DAYS = 14.0;

    private final Popularity popularity;
    private final int itemcf;
    private final int popular;
    private final int ann;

    /**
     * @param channelNames the channel order of the pipeline; missing channels yield 0 for their feature
     */
    public RankFeatures(final Popularity popularity, final List<String> channelNames) {
        this.popularity = popularity;
        this.itemcf = channelNames.indexOf("itemcf");
        this.popular = channelNames.indexOf("popular");
        this.ann = channelNames.indexOf("ann");
    }

    /**
     * Fills one row per candidate into {@code out} ({@code count * WIDTH} values).
     *
     * @param categoryShare per category, the share of the user's recent items in it (scratch filled by
     *     {@link #categoryShares})
     */
    public void fill(final RequestContext ctx, final CandidateSet set, final ItemColumns items,
            final float[] categoryShare, final float[] out) {
        final int n = set.count();
        final int dim = items.dimension();
        final float[] emb = items.embeddings();
        final float[] u = ctx.userVector();
        final boolean hasVector = ctx.hasUserVector();
        final long now = ctx.nowMs();
        for (int i = 0; i < n; i++) {
            final int row = i * WIDTH;
            float dot = 0f;
            if (hasVector) {
                final int off = i * dim;
                for (int k = 0; k < dim; k++) {
                    dot += u[k] * emb[off + k];
                }
            }
            final int ordinal = set.ordinal(i);
            final int category = items.category()[i];
            final double ageDays = Math.max(0, now - items.createdAtMs()[i]) / 86_400_000.0;
            out[row] = dot;
            out[row + 1] = itemcf >= 0 ? set.channelScore(i, itemcf) : 0f;
            out[row + 2] = popular >= 0 ? set.channelScore(i, popular) : 0f;
            out[row + 3] = ann >= 0 ? set.channelScore(i, ann) : 0f;
            out[row + 4] = (float) Math.log1p(popularity.popularity(ordinal, now));
            out[row + 5] = Math.min(10f, popularity.trending(ordinal));
            out[row + 6] = category >= 0 && category < categoryShare.length ? categoryShare[category] : 0f;
            out[row + 7] = (float) Math.exp(-ageDays / FRESHNESS_DAYS);
            out[row + 8] = Integer.bitCount(set.mask(i));
        }
    }

    /** Computes the share of the user's recent items per category into {@code out} (cleared first). */
    public static void categoryShares(final UserRow user, final int[] categoryOf, final float[] out) {
        java.util.Arrays.fill(out, 0f);
        final int n = user.recentCount();
        if (n == 0) {
            return;
        }
        final float unit = 1f / n;
        for (int i = 0; i < n; i++) {
            final int c = categoryOf[user.recentItem(i)];
            if (c >= 0 && c < out.length) {
                out[c] += unit;
            }
        }
    }
}
