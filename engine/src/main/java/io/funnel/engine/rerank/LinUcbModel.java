package io.funnel.engine.rerank;

/**
 * LinUCB with one linear model shared by all items over a small context vector (for example bias, freshness,
 * popularity, trending, category affinity): the upper confidence bound of an item is
 * {@code theta · x + alpha * sqrt(x' A^-1 x)}, with {@code A = I + sum x x'} and {@code theta = A^-1 b},
 * {@code b = sum reward * x}. Updates keep {@code A^-1} with the Sherman–Morrison formula, O(d²) each.
 *
 * <p>Threading: one writer ({@link #update}); readers get a consistent snapshot through a volatile reference.
 */
public final class LinUcbModel {
    private final int dimension;
    private volatile Snapshot snapshot;

    /** Immutable parameters: A^-1 (row-major) and theta. */
    private record Snapshot(float[] inverse, float[] theta, float[] b, long updates) {}

    public LinUcbModel(final int dimension) {
        if (dimension <= 0 || dimension > 64) {
            throw new IllegalArgumentException("dimension must be 1..64, got " + dimension);
        }
        this.dimension = dimension;
        final float[] identity = new float[dimension * dimension];
        for (int i = 0; i < dimension; i++) {
            identity[i * dimension + i] = 1f;
        }
        snapshot = new Snapshot(identity, new float[dimension], new float[dimension], 0);
    }

    public int dimension() {
        return dimension;
    }

    /** Number of updates applied. */
    public long updates() {
        return snapshot.updates();
    }

    /** The upper confidence bound of context {@code x} (length {@link #dimension()}). */
    public float ucb(final float[] x, final float alpha) {
        final Snapshot s = snapshot;
        float mean = 0f;
        float variance = 0f;
        for (int i = 0; i < dimension; i++) {
            mean += s.theta()[i] * x[i];
            float row = 0f;
            for (int j = 0; j < dimension; j++) {
                row += s.inverse()[i * dimension + j] * x[j];
            }
            variance += x[i] * row;
        }
        return mean + alpha * (float) Math.sqrt(Math.max(0f, variance));
    }

    /** Learns from one observation: context {@code x} got {@code reward} (1 for a click, 0 for an impression). */
    public void update(final float[] x, final float reward) {
        final Snapshot s = snapshot;
        final float[] inv = s.inverse().clone();
        final float[] ax = new float[dimension];
        float denominator = 1f;
        for (int i = 0; i < dimension; i++) {
            float row = 0f;
            for (int j = 0; j < dimension; j++) {
                row += inv[i * dimension + j] * x[j];
            }
            ax[i] = row;
            denominator += x[i] * row;
        }
        for (int i = 0; i < dimension; i++) {
            for (int j = 0; j < dimension; j++) {
                inv[i * dimension + j] -= ax[i] * ax[j] / denominator;
            }
        }
        final float[] b = s.b().clone();
        for (int i = 0; i < dimension; i++) {
            b[i] += reward * x[i];
        }
        final float[] theta = new float[dimension];
        for (int i = 0; i < dimension; i++) {
            float t = 0f;
            for (int j = 0; j < dimension; j++) {
                t += inv[i * dimension + j] * b[j];
            }
            theta[i] = t;
        }
        snapshot = new Snapshot(inv, theta, b, s.updates() + 1);
    }
}
