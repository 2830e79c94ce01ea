package io.funnel.model.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
    void deterministicForASeed() {
        final float[][] d = data(2_000, 2);
        final List<String> names = List.of("a", "b", "c");
        assertArrayEquals(new LogisticTrainer().seed(3).fit("t", names, "h", d[0], d[1], 2_000).weights(0),
                new LogisticTrainer().seed(3).fit("t", names, "h", d[0], d[1], 2_000).weights(0));
    }

    @Test
    void rejectsBadShapes() {
        assertThrows(IllegalArgumentException.class,
                () -> new LogisticTrainer().fit("t", List.of("a"), "h", new float[1], new float[2], 2));
        assertThrows(IllegalArgumentException.class, () -> new LogisticTrainer().epochs(0));
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
