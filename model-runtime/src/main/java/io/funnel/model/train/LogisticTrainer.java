package io.funnel.model.train;

import io.funnel.model.LogisticScorer;
import java.util.List;

/**
 * Fits a logistic regression to convergence by Newton's method (iteratively reweighted least squares) with an L2
 * penalty on the standardised weights (not on the bias); the standardisation is folded back into the weights. The
 * problem is convex and the fit is exact to {@link #TOLERANCE}, so the weights depend only on the rows, not on their
 * order or a seed. Cost: {@code rows × features²} per iteration, until no standardised weight moves by more than
 * {@link #TOLERANCE}; meant for the handful of dense features of the in-memory ranker and the pre-rank head.
 *
 * <p>Threading: a trainer instance is confined to one thread.
 */
public final class LogisticTrainer {
    /** Iterations stop once no standardised weight moves by more than this. */
    static final double TOLERANCE = 1e-6;
    private int maxIterations = 50;
    private double l2 = 1e-4;

    /** Most Newton iterations (default 50). */
    public LogisticTrainer maxIterations(final int value) {
        if (value <= 0) {
            throw new IllegalArgumentException("maxIterations must be positive, got " + value);
        }
        maxIterations = value;
        return this;
    }

    /** L2 penalty per row on the standardised weights: the fit minimises mean log-loss + l2/2 |w|² (default 1e-4). */
    public LogisticTrainer l2(final double value) {
        if (!(value >= 0)) {
            throw new IllegalArgumentException("l2 must be >= 0, got " + value);
        }
        l2 = value;
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
        // Standardise so that one penalty suits every feature, then fold the scaling back into the weights.
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
        // theta = (w_0 .. w_{f-1}, bias) on the standardised features z.
        final int n = f + 1;
        final double[] theta = new double[n];
        final double[] z = new double[n];
        final double[] gradient = new double[n];
        final double[][] hessian = new double[n][n];
        z[f] = 1;
        for (int iteration = 0; iteration < maxIterations; iteration++) {
            java.util.Arrays.fill(gradient, 0);
            for (final double[] row : hessian) {
                java.util.Arrays.fill(row, 0);
            }
            for (int r = 0; r < rows; r++) {
                double dot = theta[f];
                for (int i = 0; i < f; i++) {
                    z[i] = (x[r * f + i] - mean[i]) / std[i];
                    dot += theta[i] * z[i];
                }
                final double p = 1 / (1 + Math.exp(-dot));
                final double residual = p - y[r];
                final double weight = Math.max(p * (1 - p), 1e-12);
                for (int i = 0; i < n; i++) {
                    gradient[i] += residual * z[i];
                    for (int j = 0; j <= i; j++) {
                        hessian[i][j] += weight * z[i] * z[j];
                    }
                }
            }
            for (int i = 0; i < n; i++) {
                gradient[i] /= rows;
                for (int j = 0; j <= i; j++) {
                    hessian[i][j] /= rows;
                    hessian[j][i] = hessian[i][j];
                }
            }
            for (int i = 0; i < f; i++) {
                gradient[i] += l2 * theta[i];
                hessian[i][i] += l2;
            }
            hessian[f][f] += 1e-12; // keeps the system solvable when every label is the same
            final double[] step = solve(hessian, gradient);
            double largest = 0;
            for (int i = 0; i < n; i++) {
                theta[i] -= step[i];
                largest = Math.max(largest, Math.abs(step[i]));
            }
            if (largest < TOLERANCE) {
                break;
            }
        }
        final float[] raw = new float[f];
        double bias = theta[f];
        for (int i = 0; i < f; i++) {
            raw[i] = (float) (theta[i] / std[i]);
            bias -= theta[i] * mean[i] / std[i];
        }
        return new LogisticScorer(version, featureNames, List.of(head), new float[][] {raw}, new float[] {(float) bias});
    }

    /** Solves {@code a · s = b} by Gaussian elimination with partial pivoting ({@code a} is overwritten). */
    private static double[] solve(final double[][] a, final double[] b) {
        final int n = b.length;
        final double[] v = b.clone();
        for (int c = 0; c < n; c++) {
            int pivot = c;
            for (int r = c + 1; r < n; r++) {
                if (Math.abs(a[r][c]) > Math.abs(a[pivot][c])) {
                    pivot = r;
                }
            }
            final double[] rowSwap = a[c];
            a[c] = a[pivot];
            a[pivot] = rowSwap;
            final double t = v[c];
            v[c] = v[pivot];
            v[pivot] = t;
            for (int r = c + 1; r < n; r++) {
                final double m = a[r][c] / a[c][c];
                for (int k = c; k < n; k++) {
                    a[r][k] -= m * a[c][k];
                }
                v[r] -= m * v[c];
            }
        }
        final double[] s = new double[n];
        for (int r = n - 1; r >= 0; r--) {
            double sum = v[r];
            for (int k = r + 1; k < n; k++) {
                sum -= a[r][k] * s[k];
            }
            s[r] = sum / a[r][r];
        }
        return s;
    }
}
