package io.funnel.model.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.funnel.model.LogisticScorer;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class LogisticTrainerTest {
    /** Labels follow sigmoid(2*x0 - x1 + 0.5); x2 is noise with a large scale. */
    private static float[][] data(final int rows, final long seed) {
        final SplittableRandom r = new SplittableRandom(seed);
        final float[] x = new float[rows * 3];
        final float[] y = new float[rows];
        for (int i = 0; i < rows; i++) {
            x[3 * i] = (float) r.nextGaussian();
            x[3 * i + 1] = (float) r.nextGaussian();
            x[3 * i + 2] = (float) (r.nextGaussian() * 100);
            final double p = 1 / (1 + Math.exp(-(2 * x[3 * i] - x[3 * i + 1] + 0.5)));
            y[i] = r.nextDouble() < p ? 1f : 0f;
        }
        return new float[][] {x, y};
    }

    @Test
    void recoversTheTrueWeights() {
        final float[][] d = data(20_000, 1);
        final LogisticScorer s = new LogisticTrainer().fit("t", List.of("a", "b", "noise"), "click", d[0], d[1],
                20_000);
        final float[] w = s.weights(0);
        assertTrue(Math.abs(w[0] - 2) < 0.25, "w0=" + w[0]);
        assertTrue(Math.abs(w[1] + 1) < 0.2, "w1=" + w[1]);
        assertTrue(Math.abs(w[2]) < 0.01, "noise weight=" + w[2]);
        assertTrue(Math.abs(s.bias(0) - 0.5) < 0.2, "bias=" + s.bias(0));
    }

    @Test
    void theFitIsTheOptimumWhateverTheRowOrder() {
        final int rows = 2_000;
        final float[][] d = data(rows, 2);
        final List<String> names = List.of("a", "b", "c");
        final double l2 = 1e-3;
        final LogisticScorer fit = new LogisticTrainer().l2(l2).fit("t", names, "h", d[0], d[1], rows);
        // At the optimum the penalised gradient vanishes: mean (p - y) x_i + l2 w_i / std_i^2 = 0 on raw features
        // (the penalty is on standardised weights w_i * std_i).
        final double[] std = new double[3];
        final double[] mean = new double[3];
        for (int r = 0; r < rows; r++) {
            for (int i = 0; i < 3; i++) {
                mean[i] += d[0][r * 3 + i] / rows;
            }
        }
        for (int r = 0; r < rows; r++) {
            for (int i = 0; i < 3; i++) {
                std[i] += Math.pow(d[0][r * 3 + i] - mean[i], 2) / rows;
            }
        }
        final double[] gradient = new double[4];
        final float[] w = fit.weights(0);
        for (int r = 0; r < rows; r++) {
            double dot = fit.bias(0);
            for (int i = 0; i < 3; i++) {
                dot += w[i] * d[0][r * 3 + i];
            }
            final double residual = 1 / (1 + Math.exp(-dot)) - d[1][r];
            for (int i = 0; i < 3; i++) {
                gradient[i] += residual * (d[0][r * 3 + i] - mean[i]) / Math.sqrt(std[i]) / rows;
            }
            gradient[3] += residual / rows;
        }
        for (int i = 0; i < 3; i++) {
            gradient[i] += l2 * w[i] * Math.sqrt(std[i]);
            assertTrue(Math.abs(gradient[i]) < 1e-4, "gradient " + i + " = " + gradient[i]);
        }
        assertTrue(Math.abs(gradient[3]) < 1e-4, "bias gradient " + gradient[3]);
        // Rows in reverse order: the same weights (no seed, no order effects), up to float rounding.
        final float[] rx = new float[rows * 3];
        final float[] ry = new float[rows];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(d[0], r * 3, rx, (rows - 1 - r) * 3, 3);
            ry[rows - 1 - r] = d[1][r];
        }
        final float[] reversed = new LogisticTrainer().l2(l2).fit("t", names, "h", rx, ry, rows).weights(0);
        for (int i = 0; i < 3; i++) {
            assertEquals(w[i], reversed[i], 1e-4 * Math.abs(w[i]) + 1e-6, "weight " + i);
        }
    }

    @Test
    void rejectsBadShapes() {
        assertThrows(IllegalArgumentException.class,
                () -> new LogisticTrainer().fit("t", List.of("a"), "h", new float[1], new float[2], 2));
        assertThrows(IllegalArgumentException.class, () -> new LogisticTrainer().maxIterations(0));
        assertThrows(IllegalArgumentException.class, () -> new LogisticTrainer().l2(-1));
    }

    @Test
    void bprPutsUsersNearTheirItems() {
        // Two groups: users 0..49 interact with items 0..9, users 50..99 with items 10..19.
        final int n = 4_000;
        final int[] users = new int[n];
        final int[] items = new int[n];
        final SplittableRandom r = new SplittableRandom(5);
        for (int e = 0; e < n; e++) {
            users[e] = r.nextInt(100);
            items[e] = (users[e] < 50 ? 0 : 10) + r.nextInt(10);
        }
        final BprTrainer.Embeddings emb = new BprTrainer().dimension(8).epochs(20).fit(users, items, n, 100, 20);
        int correct = 0;
        for (int u = 0; u < 100; u++) {
            final float[] uv = emb.user(u);
            float own = 0;
            float other = 0;
            for (int i = 0; i < 20; i++) {
                final float[] iv = emb.item(i);
                float dot = 0;
                for (int k = 0; k < 8; k++) {
                    dot += uv[k] * iv[k];
                }
                if ((i < 10) == (u < 50)) {
                    own += dot;
                } else {
                    other += dot;
                }
            }
            if (own > other) {
                correct++;
            }
        }
        assertTrue(correct >= 95, correct + " of 100 users prefer their own group");
    }
}
