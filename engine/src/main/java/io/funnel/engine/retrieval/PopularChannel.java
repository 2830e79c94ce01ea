package io.funnel.engine.retrieval;

import io.funnel.engine.pipeline.Candidates;
import io.funnel.engine.pipeline.RequestContext;
import io.funnel.features.UserRow;

/**
 * Popularity retrieval from three published top lists: global, per category (the requested category, or the
 * categories the user engaged with most recently), and trending (rising now). Every list is normalised to [0, 1]
 * so that the sources mix fairly; an item in several lists keeps its best score. Runs inline: a few hundred array
 * reads.
 *
 * <p>Threading: stateless apart from immutable configuration; safe for concurrent use.
 */
public final class PopularChannel implements Channel {
    private final Popularity popularity;
    private final ItemAttributes attributes;
    private final int k;

    public PopularChannel(final Popularity popularity, final ItemAttributes attributes, final int k) {
        this.popularity = popularity;
        this.attributes = attributes;
        this.k = k;
    }

    @Override
    public String name() {
        return "popular";
    }

    @Override
    public boolean offload() {
        return false;
    }

    @Override
    public void retrieve(final RequestContext ctx, final Candidates out) {
        final Popularity.Snapshot s = popularity.snapshot();
        final int wanted = ctx.request().category();
        if (wanted >= 0) {
            if (wanted < s.byCategory().length) {
                addList(s.byCategory()[wanted], s.byCategoryScores()[wanted], k, 1f, out);
            }
            return;
        }
        addList(s.global(), s.globalScores(), k / 2, 1f, out);
        addList(s.trending(), s.trendingScores(), k / 4, 0.8f, out);
        // The user's two most frequent recent categories.
        final UserRow user = ctx.user();
        final int n = user.recentCount();
        if (n == 0) {
            addList(s.global(), s.globalScores(), k, 1f, out);
            return;
        }
        int first = -1;
        int second = -1;
        int firstCount = 0;
        int secondCount = 0;
        for (int i = 0; i < n; i++) {
            final int c = attributes.category(user.recentItem(i));
            int count = 0;
            for (int j = 0; j < n; j++) {
                if (attributes.category(user.recentItem(j)) == c) {
                    count++;
                }
            }
            if (c == first || c == second) {
                continue;
            }
            if (count > firstCount) {
                second = first;
                secondCount = firstCount;
                first = c;
                firstCount = count;
            } else if (count > secondCount) {
                second = c;
                secondCount = count;
            }
        }
        if (first >= 0 && first < s.byCategory().length) {
            addList(s.byCategory()[first], s.byCategoryScores()[first], k / 4, 0.9f, out);
        }
        if (second >= 0 && second < s.byCategory().length) {
            addList(s.byCategory()[second], s.byCategoryScores()[second], k / 8, 0.8f, out);
        }
    }

    private static void addList(final int[] ordinals, final float[] scores, final int limit, final float weight,
            final Candidates out) {
        final int n = Math.min(limit, ordinals.length);
        if (n == 0) {
            return;
        }
        final float top = scores[0] > 0 ? scores[0] : 1f;
        for (int i = 0; i < n; i++) {
            out.add(ordinals[i], weight * scores[i] / top);
        }
    }
}
