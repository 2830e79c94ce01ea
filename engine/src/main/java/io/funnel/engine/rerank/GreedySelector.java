package io.funnel.engine.rerank;

import io.funnel.engine.pipeline.CandidateSet;
import io.funnel.engine.retrieval.ItemAttributes;
import io.funnel.features.ItemColumns;

/** Relevance order, subject only to the constraints: the baseline the diversity selectors are compared with. */
public final class GreedySelector implements Selector {
    private final ThreadLocal<boolean[][]> taken = ThreadLocal.withInitial(() -> new boolean[][] {new boolean[0]});

    @Override
    public String name() {
        return "greedy";
    }

    @Override
    public int select(final CandidateSet set, final float[] relevance, final ItemColumns items,
            final ItemAttributes attributes, final int count, final SlotConstraints constraints, final int[] out) {
        final int n = set.count();
        final boolean[] used = scratch(n);
        constraints.reset();
        int placed = 0;
        while (placed < count) {
            int best = -1;
            for (int i = 0; i < n; i++) {
                if (used[i] || relevance[i] == Float.NEGATIVE_INFINITY || (best >= 0 && relevance[i] <= relevance[best])) {
                    continue;
                }
                final int ordinal = set.ordinal(i);
                if (constraints.allows(attributes.category(ordinal), attributes.creator(ordinal))) {
                    best = i;
                }
            }
            if (best < 0) {
                break;
            }
            used[best] = true;
            final int ordinal = set.ordinal(best);
            constraints.place(attributes.category(ordinal), attributes.creator(ordinal));
            out[placed++] = best;
        }
        return placed;
    }

    private boolean[] scratch(final int n) {
        final boolean[][] holder = taken.get();
        if (holder[0].length < n) {
            holder[0] = new boolean[n * 2];
        }
        java.util.Arrays.fill(holder[0], 0, n, false);
        return holder[0];
    }
}
