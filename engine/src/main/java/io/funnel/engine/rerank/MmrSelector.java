package io.funnel.engine.rerank;

import io.funnel.engine.pipeline.CandidateSet;
import io.funnel.engine.retrieval.ItemAttributes;
import io.funnel.features.ItemColumns;

/**
 * Maximal marginal relevance: each slot takes the candidate with the best
 * {@code lambda * relevance - (1 - lambda) * max similarity to the items already placed}, where similarity is the
 * cosine of the item embeddings plus a penalty when two items share a category. Relevance is min-max normalised,
 * so {@code lambda} means the same whatever the ranker's scale. Cost: O(count × candidates × dimension).
 *
 * <p>Threading: safe for concurrent use; scratch is per thread.
 */
public final class MmrSelector implements Selector {
    private final float lambda;
    private final float categoryPenalty;
    private final ThreadLocal<Scratch> scratch = ThreadLocal.withInitial(Scratch::new);

    /**
     * @param lambda 1 is pure relevance order, 0 pure diversity
     * @param categoryPenalty similarity added for a shared category, in [0, 1]
     */
    public MmrSelector(final double lambda, final double categoryPenalty) {
        this.lambda = (float) lambda;
        this.categoryPenalty = (float) categoryPenalty;
    }

    @Override
    public String name() {
        return "mmr";
    }

    @Override
    public int select(final CandidateSet set, final float[] relevance, final ItemColumns items,
            final ItemAttributes attributes, final int count, final SlotConstraints constraints, final int[] out) {
        final int n = set.count();
        final Scratch s = scratch.get().ensure(n);
        final int dim = items.dimension();
        final float[] emb = items.embeddings();
        final int[] category = items.category();
        Vectors.relevanceRange(relevance, n, s.range);
        final float min = s.range[0];
        final float range = s.range[1];
        for (int i = 0; i < n; i++) {
            s.invNorm[i] = Vectors.inverseNorm(emb, i * dim, dim);
            s.maxSim[i] = Float.NEGATIVE_INFINITY;
            s.taken[i] = relevance[i] == Float.NEGATIVE_INFINITY;
        }
        constraints.reset();
        int placed = 0;
        while (placed < count) {
            int best = -1;
            float bestValue = Float.NEGATIVE_INFINITY;
            for (int i = 0; i < n; i++) {
                if (s.taken[i]) {
                    continue;
                }
                final float penalty = placed == 0 ? 0f : s.maxSim[i];
                final float value = lambda * (relevance[i] - min) / range - (1f - lambda) * penalty;
                if (value > bestValue) {
                    final int ordinal = set.ordinal(i);
                    if (constraints.allows(attributes.category(ordinal), attributes.creator(ordinal))) {
                        bestValue = value;
                        best = i;
                    }
                }
            }
            if (best < 0) {
                break;
            }
            out[placed++] = best;
            s.taken[best] = true;
            final int bestOrdinal = set.ordinal(best);
            constraints.place(attributes.category(bestOrdinal), attributes.creator(bestOrdinal));
            // Update every remaining candidate's similarity to the placed set with the new pick.
            for (int i = 0; i < n; i++) {
                if (s.taken[i]) {
                    continue;
                }
                float sim = Vectors.dot(emb, i * dim, emb, best * dim, dim) * s.invNorm[i] * s.invNorm[best];
                if (category[i] == category[best]) {
                    sim += categoryPenalty;
                }
                if (sim > s.maxSim[i]) {
                    s.maxSim[i] = sim;
                }
            }
        }
        return placed;
    }

    private static final class Scratch {
        final float[] range = new float[2];
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
