package io.funnel.engine.rerank;

import io.funnel.engine.pipeline.CandidateSet;
import io.funnel.engine.retrieval.ItemAttributes;
import io.funnel.features.ItemColumns;

/**
 * Determinantal point process, greedy MAP inference with an incremental Cholesky factor: each slot takes the
 * candidate that most increases {@code log det L_S}, where {@code L = diag(q) K diag(q)}, the quality
 * {@code q_i = exp(alpha * relevance_i)} (relevance min-max normalised) and the similarity kernel
 * {@code K = (cosine Gram of the embeddings + p * same-category indicator) / (1 + p)}, positive semi-definite by
 * construction. Cost: O(count² × candidates + count × candidates × dimension); 200 → 20 in well under a
 * millisecond.
 *
 * <p>Threading: safe for concurrent use; scratch is per thread.
 */
public final class DppSelector implements Selector {
    private static final float EPSILON = 1e-6f;
    private final float alpha;
    private final float categoryPenalty;
    private final ThreadLocal<Scratch> scratch = ThreadLocal.withInitial(Scratch::new);

    /**
     * @param alpha quality exponent: higher favours relevance over diversity
     * @param categoryPenalty weight of the shared-category similarity, in [0, 1]
     */
    public DppSelector(final double alpha, final double categoryPenalty) {
        this.alpha = (float) alpha;
        this.categoryPenalty = (float) categoryPenalty;
    }

    @Override
    public String name() {
        return "dpp";
    }

    @Override
    public int select(final CandidateSet set, final float[] relevance, final ItemColumns items,
            final ItemAttributes attributes, final int count, final SlotConstraints constraints, final int[] out) {
        final int n = set.count();
        final int k = Math.min(count, n);
        final Scratch s = scratch.get().ensure(n, k);
        final int dim = items.dimension();
        final float[] emb = items.embeddings();
        final int[] category = items.category();
        Vectors.relevanceRange(relevance, n, s.range);
        final float min = s.range[0];
        final float range = s.range[1];
        for (int i = 0; i < n; i++) {
            s.taken[i] = relevance[i] == Float.NEGATIVE_INFINITY;
            s.quality[i] = s.taken[i] ? 0f : (float) Math.exp(alpha * (relevance[i] - min) / range);
            s.invNorm[i] = Vectors.inverseNorm(emb, i * dim, dim);
            // L_ii = q_i^2 * K_ii, and K_ii = 1 (unit cosine plus the category term, normalised).
            s.gain[i] = s.quality[i] * s.quality[i] + EPSILON;
        }
        final float norm = 1f / (1f + categoryPenalty);
        constraints.reset();
        int placed = 0;
        while (placed < k) {
            int best = -1;
            float bestGain = 0f;
            for (int i = 0; i < n; i++) {
                if (!s.taken[i] && s.gain[i] > bestGain) {
                    final int ordinal = set.ordinal(i);
                    if (constraints.allows(attributes.category(ordinal), attributes.creator(ordinal))) {
                        bestGain = s.gain[i];
                        best = i;
                    }
                }
            }
            if (best < 0 || bestGain <= EPSILON) {
                break;
            }
            s.taken[best] = true;
            out[placed] = best;
            final int bestOrdinal = set.ordinal(best);
            constraints.place(attributes.category(bestOrdinal), attributes.creator(bestOrdinal));
            final float dj = (float) Math.sqrt(bestGain);
            // Extend every remaining candidate's Cholesky row by one entry and shrink its marginal gain.
            for (int i = 0; i < n; i++) {
                if (s.taken[i]) {
                    continue;
                }
                float kernel = Vectors.dot(emb, i * dim, emb, best * dim, dim) * s.invNorm[i] * s.invNorm[best];
                if (category[i] == category[best]) {
                    kernel += categoryPenalty;
                }
                final float lij = s.quality[i] * s.quality[best] * kernel * norm;
                float projection = 0f;
                for (int t = 0; t < placed; t++) {
                    projection += s.c[t * n + i] * s.c[t * n + best];
                }
                final float e = (lij - projection) / dj;
                s.c[placed * n + i] = e;
                s.gain[i] = Math.max(0f, s.gain[i] - e * e);
            }
            placed++;
        }
        return placed;
    }

    private static final class Scratch {
        final float[] range = new float[2];
        float[] quality = new float[0];
        float[] invNorm = new float[0];
        float[] gain = new float[0];
        boolean[] taken = new boolean[0];
        float[] c = new float[0]; // Cholesky rows: slot-major, c[t * n + i]

        Scratch ensure(final int n, final int k) {
            if (quality.length < n) {
                quality = new float[n * 2];
                invNorm = new float[n * 2];
                gain = new float[n * 2];
                taken = new boolean[n * 2];
            }
            if (c.length < n * k) {
                c = new float[n * k * 2];
            }
            return this;
        }
    }
}
