package io.funnel.model.train;

import io.funnel.model.LogisticScorer;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Fits a logistic regression with mini-batch-free SGD, L2 regularisation and per-feature standardisation folded
 * back into the weights. Deterministic for a seed. Used for the in-memory ranker and for tests.
 *
 * <p>Threading: a trainer instance is confined to one thread.
 */
public final class LogisticTrainer {
    private int epochs = 8;
    private float learningRate = 0.05f;
    private float l2 = 1e-5f;
    private long seed = 42;

    /** Number of passes over the data (default 8). */
    public LogisticTrainer epochs(final int value) {
        if (value <= 0) {
            throw new IllegalArgumentException("epochs must be positive, got " + value);
        }
        epochs = value;
        return this;
    }

    /** SGD step size (default 0.05). */
    public LogisticTrainer learningRate(final float value) {
        if (!(value > 0)) {
            throw new IllegalArgumentException("learningRate must be positive, got " + value);
        }
        learningRate = value;
        return this;
    }

    /** L2 penalty per step (default 1e-5). */
    public LogisticTrainer l2(final float value) {
        if (value < 0) {
            throw new IllegalArgumentException("l2 must be >= 0, got " + value);
        }
        l2 = value;
        return this;
    }

    /** Seed of the example order (default 42). */
    public LogisticTrainer seed(final long value) {
        seed = value;
        return this;
    }

    /**
     * Fits one head.
     *
     * @param x row-major features, {@code rows * featureNames.size()}
     * @param y labels in {0, 1}, one per row
     */
    public LogisticScorer fit(
            final String version, final List<String> featureNames, final String head, final float[] x,
            final float[] y, final int rows) {
        final int f = featureNames.size();
        if (rows <= 0 || x.length < rows * f || y.length < rows) {
            throw new IllegalArgumentException("need rows > 0 and x of rows*features values: rows=" + rows
                    + ", x.length=" + x.length + ", y.length=" + y.length + ", features=" + f);
        }
        // Standardise so one learning rate suits every feature, then fold the scaling back into the weights.
        final double[] mean = new double[f];
        final double[] std = new double[f];
        for (int r = 0; r < rows; r++) {
            for (int i = 0; i < f; i++) {
                mean[i] += x[r * f + i];
            }
        }
        for (int i = 0; i < f; i++) {
            mean[i] /= rows;
        }
        for (int r = 0; r < rows; r++) {
            for (int i = 0; i < f; i++) {
                final double d = x[r * f + i] - mean[i];
                std[i] += d * d;
            }
        }
        for (int i = 0; i < f; i++) {
            std[i] = Math.sqrt(std[i] / rows);
            if (std[i] < 1e-9) {
                std[i] = 1; // a constant feature: leave it to the bias
            }
        }
        final float[] w = new float[f];
        float b = 0f;
        final int[] order = new int[rows];
        for (int i = 0; i < rows; i++) {
            order[i] = i;
        }
        final SplittableRandom random = new SplittableRandom(seed);
        final float[] z = new float[f];
        for (int epoch = 0; epoch < epochs; epoch++) {
            shuffle(order, random);
            final float lr = learningRate / (1 + epoch);
            for (final int r : order) {
                float dot = b;
                for (int i = 0; i < f; i++) {
                    z[i] = (float) ((x[r * f + i] - mean[i]) / std[i]);
                    dot += w[i] * z[i];
                }
                final float g = LogisticScorer.sigmoid(dot) - y[r];
                for (int i = 0; i < f; i++) {
                    w[i] -= lr * (g * z[i] + l2 * w[i]);
                }
                b -= lr * g;
            }
        }
        final float[] raw = new float[f];
        double bias = b;
        for (int i = 0; i < f; i++) {
            raw[i] = (float) (w[i] / std[i]);
            bias -= w[i] * mean[i] / std[i];
        }
        return new LogisticScorer(version, featureNames, List.of(head), new float[][] {raw}, new float[] {(float) bias});
    }

    static void shuffle(final int[] a, final SplittableRandom random) {
        for (int i = a.length - 1; i > 0; i--) {
            final int j = random.nextInt(i + 1);
            final int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }
}
