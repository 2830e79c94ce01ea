package io.funnel.model;

import java.util.List;

/**
 * One logistic regression per head: {@code p = sigmoid(bias + w · x)}. Small enough to run inline on the event loop
 * (a few nanoseconds per row and head), and the fallback ranker when no TensorFlow model is loaded.
 *
 * <p>Threading: immutable, safe for concurrent use.
 */
public final class LogisticScorer implements Scorer {
    private final String version;
    private final List<String> featureNames;
    private final List<String> headNames;
    private final float[] weights; // heads x features, row-major
    private final float[] biases;

    /**
     * @param weights one array of {@code featureNames.size()} weights per head
     * @param biases one bias per head
     */
    public LogisticScorer(
            final String version,
            final List<String> featureNames,
            final List<String> headNames,
            final float[][] weights,
            final float[] biases) {
        if (weights.length != headNames.size() || biases.length != headNames.size()) {
            throw new IllegalArgumentException("need one weight vector and one bias per head: " + headNames.size()
                    + " heads, " + weights.length + " weight vectors, " + biases.length + " biases");
        }
        final int f = featureNames.size();
        this.weights = new float[weights.length * f];
        for (int h = 0; h < weights.length; h++) {
            if (weights[h].length != f) {
                throw new IllegalArgumentException("head '" + headNames.get(h) + "' has " + weights[h].length
                        + " weights, expected " + f + " (one per feature)");
            }
            System.arraycopy(weights[h], 0, this.weights, h * f, f);
        }
        this.version = version;
        this.featureNames = List.copyOf(featureNames);
        this.headNames = List.copyOf(headNames);
        this.biases = biases.clone();
    }

    @Override
    public String version() {
        return version;
    }

    @Override
    public List<String> featureNames() {
        return featureNames;
    }

    @Override
    public List<String> headNames() {
        return headNames;
    }

    /** The weights of head {@code h}, a copy. */
    public float[] weights(final int h) {
        final int f = featureNames.size();
        final float[] out = new float[f];
        System.arraycopy(weights, h * f, out, 0, f);
        return out;
    }

    /** The bias of head {@code h}. */
    public float bias(final int h) {
        return biases[h];
    }

    @Override
    public void score(final float[] features, final int rows, final float[] out) {
        final int f = featureNames.size();
        final int heads = headNames.size();
        for (int r = 0; r < rows; r++) {
            final int row = r * f;
            for (int h = 0; h < heads; h++) {
                float z = biases[h];
                final int w = h * f;
                for (int i = 0; i < f; i++) {
                    z += weights[w + i] * features[row + i];
                }
                out[r * heads + h] = sigmoid(z);
            }
        }
    }

    /** The logistic function, clamped so that extreme inputs do not overflow. */
    public static float sigmoid(final float z) {
        if (z > 30f) {
            return 1f;
        }
        if (z < -30f) {
            return 0f;
        }
        return (float) (1.0 / (1.0 + Math.exp(-z)));
    }
}
