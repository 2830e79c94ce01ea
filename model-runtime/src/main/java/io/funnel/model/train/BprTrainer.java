package io.funnel.model.train;

import java.util.SplittableRandom;

/**
 * Learns user and item embeddings from implicit feedback with Bayesian Personalised Ranking (matrix factorisation,
 * SGD over (user, clicked item, sampled item) triples). Item vectors feed the ANN channel; user vectors go to the
 * feature store. Deterministic for a seed.
 *
 * <p>Threading: confined to one thread.
 */
public final class BprTrainer {
    private int dimension = 32;
    private int epochs = 10;
    private float learningRate = 0.05f;
    private float regularisation = 0.002f;
    private long seed = 7;

    /** Embedding dimension (default 32). */
    public BprTrainer dimension(final int value) {
        if (value <= 0 || value > 4096) {
            throw new IllegalArgumentException("dimension must be 1..4096, got " + value);
        }
        dimension = value;
        return this;
    }

    /** Passes over the interactions (default 10). */
    public BprTrainer epochs(final int value) {
        if (value <= 0) {
            throw new IllegalArgumentException("epochs must be positive, got " + value);
        }
        epochs = value;
        return this;
    }

    /** SGD step size (default 0.05). */
    public BprTrainer learningRate(final float value) {
        learningRate = value;
        return this;
    }

    /** L2 regularisation (default 0.002). */
    public BprTrainer regularisation(final float value) {
        regularisation = value;
        return this;
    }

    /** Seed of initialisation and sampling (default 7). */
    public BprTrainer seed(final long value) {
        seed = value;
        return this;
    }

    /** Embedding dimension that {@link #fit} produces. */
    public int dimension() {
        return dimension;
    }

    /**
     * Fits embeddings.
     *
     * @param users user index (0..userCount-1) of each interaction
     * @param items item ordinal (0..itemCount-1) of each interaction
     * @param count number of interactions
     */
    public Embeddings fit(final int[] users, final int[] items, final int count, final int userCount,
            final int itemCount) {
        final int d = dimension;
        final SplittableRandom random = new SplittableRandom(seed);
        final float[] u = new float[userCount * d];
        final float[] v = new float[itemCount * d];
        final float scale = (float) (0.1 / Math.sqrt(d));
        for (int i = 0; i < u.length; i++) {
            u[i] = (float) (random.nextGaussian() * scale);
        }
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (random.nextGaussian() * scale);
        }
        // Negatives are drawn from the interaction stream itself, i.e. in proportion to popularity, which keeps
        // the model from simply learning popularity.
        final float reg = regularisation;
        for (int epoch = 0; epoch < epochs; epoch++) {
            final float lr = learningRate / (1 + 0.3f * epoch);
            for (int step = 0; step < count; step++) {
                final int e = random.nextInt(count);
                final int user = users[e];
                final int pos = items[e];
                int neg = items[random.nextInt(count)];
                if (neg == pos) {
                    neg = random.nextInt(itemCount);
                }
                final int uo = user * d;
                final int po = pos * d;
                final int no = neg * d;
                float x = 0f;
                for (int k = 0; k < d; k++) {
                    x += u[uo + k] * (v[po + k] - v[no + k]);
                }
                final float g = 1f / (1f + (float) Math.exp(x)); // d/dx log sigmoid(x)
                for (int k = 0; k < d; k++) {
                    final float uk = u[uo + k];
                    final float pk = v[po + k];
                    final float nk = v[no + k];
                    u[uo + k] += lr * (g * (pk - nk) - reg * uk);
                    v[po + k] += lr * (g * uk - reg * pk);
                    v[no + k] += lr * (-g * uk - reg * nk);
                }
            }
        }
        return new Embeddings(d, userCount, itemCount, u, v);
    }

    /** The fitted factors: row-major user and item matrices. */
    public record Embeddings(int dimension, int userCount, int itemCount, float[] users, float[] items) {
        /** A copy of the vector of user {@code index}. */
        public float[] user(final int index) {
            final float[] out = new float[dimension];
            System.arraycopy(users, index * dimension, out, 0, dimension);
            return out;
        }

        /** A copy of the vector of item {@code ordinal}. */
        public float[] item(final int ordinal) {
            final float[] out = new float[dimension];
            System.arraycopy(items, ordinal * dimension, out, 0, dimension);
            return out;
        }
    }
}
