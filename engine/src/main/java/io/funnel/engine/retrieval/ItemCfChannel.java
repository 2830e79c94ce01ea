package io.funnel.engine.retrieval;

import io.funnel.engine.pipeline.Candidates;
import io.funnel.engine.pipeline.RequestContext;
import io.funnel.engine.pipeline.TopN;
import io.funnel.features.UserRow;

/**
 * Item-to-item retrieval: the co-visitation neighbours of the user's most recent items, each neighbour's weight
 * scaled by how recent the seed item is. Runs inline; the cost is (recent items × neighbours) additions.
 *
 * <p>Threading: safe for concurrent use; per-thread scratch holds the accumulators.
 */
public final class ItemCfChannel implements Channel {
    private final CoVisitation table;
    private final int k;
    private final int seeds;
    private final float recencyDecay;
    private final ThreadLocal<Scratch> scratch;

    /**
     * @param seeds how many of the user's most recent items seed the search
     * @param recencyDecay weight multiplier per step back in the user's history, in (0, 1]
     */
    public ItemCfChannel(final CoVisitation table, final int itemCount, final int k, final int seeds,
            final float recencyDecay) {
        this.table = table;
        this.k = k;
        this.seeds = seeds;
        this.recencyDecay = recencyDecay;
        this.scratch = ThreadLocal.withInitial(() -> new Scratch(itemCount));
    }

    @Override
    public String name() {
        return "itemcf";
    }

    @Override
    public boolean offload() {
        return false;
    }

    @Override
    public void retrieve(final RequestContext ctx, final Candidates out) {
        final UserRow user = ctx.user();
        final int n = Math.min(seeds, user.recentCount());
        if (n == 0) {
            return;
        }
        final Scratch s = scratch.get();
        s.ensure(table);
        int touched = 0;
        float weight = 1f;
        for (int i = 0; i < n; i++) {
            final int seed = user.recentItem(i);
            final int m = table.neighbourCount(seed);
            for (int j = 0; j < m; j++) {
                final int nb = table.neighbour(seed, j);
                if (s.acc[nb] == 0f) {
                    s.touched[touched++] = nb;
                }
                s.acc[nb] += weight * table.weight(seed, j);
            }
            weight *= recencyDecay;
        }
        for (int t = 0; t < touched; t++) {
            s.scores[t] = s.acc[s.touched[t]];
        }
        final int kept = TopN.select(s.scores, touched, k, s.order, s.packed);
        for (int i = 0; i < kept; i++) {
            final int nb = s.touched[s.order[i]];
            out.add(nb, s.acc[nb]);
        }
        for (int t = 0; t < touched; t++) {
            s.acc[s.touched[t]] = 0f;
        }
    }

    private static final class Scratch {
        final float[] acc;
        int[] touched = new int[4096];
        float[] scores = new float[4096];
        int[] order = new int[4096];
        long[] packed = new long[4096];

        Scratch(final int itemCount) {
            acc = new float[itemCount];
        }

        void ensure(final CoVisitation table) {
            // Worst case: every seed contributes a full neighbour list.
            final int need = UserRow.MAX_RECENT * 64;
            if (touched.length < need) {
                touched = new int[need];
                scores = new float[need];
                order = new int[need];
                packed = new long[need];
            }
        }
    }
}
