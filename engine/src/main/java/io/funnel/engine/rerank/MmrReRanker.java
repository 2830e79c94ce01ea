package io.funnel.engine.rerank;

import io.funnel.engine.pipeline.CandidateSet;
import io.funnel.features.ItemColumns;

/**
 * Maximal marginal relevance: greedily picks the candidate with the best
 * {@code lambda * relevance - (1 - lambda) * max similarity to the items already picked}, where similarity is the
 * cosine of the item embeddings plus a penalty when two items share a category. Relevance is min-max normalised,
 * so {@code lambda} means the same whatever the ranker's scale. Cost: O(count × candidates × dimension).
 *
 * <p>Threading: safe for concurrent use; scratch is per thread.
 */
public final class MmrReRanker implements ReRanker {
    private final float lambda;
    private final float categoryPenalty;
    private final ThreadLocal<Scratch> scratch = ThreadLocal.withInitial(Scratch::new);

    /**
     * @param lambda 1 is pure relevance order, 0 pure diversity
     * @param categoryPenalty similarity added for a shared category, in [0, 1]
     */
    public MmrReRanker(final double lambda, final double categoryPenalty) {
        this.lambda = (float) lambda;
        this.categoryPenalty = (float) categoryPenalty;
    }

    @Override
    public String name() {
        return "mmr";
    }

    @Override
    public int select(final CandidateSet set, final ItemColumns items, final int count, final int[] out) {
        final int n = set.count();
        final int k = Math.min(count, n);
        if (k == 0) {
            return 0;
        }
        final Scratch s = scratch.get().ensure(n);
        final int dim = items.dimension();
        final float[] emb = items.embeddings();
        final int[] category = items.category();
        float min = Float.POSITIVE_INFINITY;
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            min = Math.min(min, set.score(i));
            max = Math.max(max, set.score(i));
            float norm = 0f;
            for (int d = 0; d < dim; d++) {
                final float x = emb[i * dim + d];
                norm += x * x;
            }
            s.invNorm[i] = norm > 0 ? (float) (1.0 / Math.sqrt(norm)) : 0f;
            s.maxSim[i] = Float.NEGATIVE_INFINITY;
            s.taken[i] = false;
        }
        final float range = max > min ? max - min : 1f;
        for (int picked = 0; picked < k; picked++) {
            int best = -1;
            float bestValue = Float.NEGATIVE_INFINITY;
            for (int i = 0; i < n; i++) {
                if (s.taken[i]) {
                    continue;
                }
                final float relevance = (set.score(i) - min) / range;
                final float penalty = picked == 0 ? 0f : s.maxSim[i];
                final float value = lambda * relevance - (1f - lambda) * penalty;
                if (value > bestValue) {
                    bestValue = value;
                    best = i;
                }
            }
            out[picked] = best;
            s.taken[best] = true;
            // Update every remaining candidate's similarity to the picked set with the new pick.
            final int bo = best * dim;
            for (int i = 0; i < n; i++) {
                if (s.taken[i]) {
                    continue;
                }
                float dot = 0f;
                final int io = i * dim;
                for (int d = 0; d < dim; d++) {
                    dot += emb[io + d] * emb[bo + d];
                }
                float sim = dot * s.invNorm[i] * s.invNorm[best];
                if (category[i] == category[best]) {
                    sim += categoryPenalty;
                }
                if (sim > s.maxSim[i]) {
                    s.maxSim[i] = sim;
                }
            }
        }
        return k;
    }

    private static final class Scratch {
        float[] invNorm = new float[0];
        float[] maxSim = new float[0];
        boolean[] taken = new boolean[0];

        Scratch ensure(final int n) {
            if (invNorm.length < n) {
                invNorm = new float[n * 2];
                maxSim = new float[n * 2];
                taken = new boolean[n * 2];
            }
            return this;
        }
    }
}
