package io.funnel.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class DotProductPreRankerTest {
    @Test
    void scoresAreDotPlusLinear() {
        final int d = 37;
        final int f = 5;
        final int rows = 200;
        final SplittableRandom random = new SplittableRandom(9);
        final float[] user = gaussian(random, d);
        final float[] items = gaussian(random, rows * d);
        final float[] x = gaussian(random, rows * f);
        final float[] w = gaussian(random, f);
        final DotProductPreRanker ranker = new DotProductPreRanker(d, w, 0.25f, 2f);
        final float[] out = new float[rows];
        ranker.score(user, items, x, rows, out);
        for (int r = 0; r < rows; r++) {
            double dot = 0;
            for (int i = 0; i < d; i++) {
                dot += (double) user[i] * items[r * d + i];
            }
            double lin = 0;
            for (int i = 0; i < f; i++) {
                lin += (double) w[i] * x[r * f + i];
            }
            assertEquals(2 * dot + lin + 0.25, out[r], 1e-3, "row " + r + " with " + DotProductPreRanker.kernel());
        }
    }

    @Test
    void topKMatchesASortWithTiesByIndex() {
        final SplittableRandom random = new SplittableRandom(4);
        final int rows = 1000;
        final float[] scores = new float[rows];
        for (int i = 0; i < rows; i++) {
            scores[i] = random.nextInt(300) - 150.5f; // many ties, negatives too
        }
        final int[] expected = IntStream.range(0, rows).boxed()
                .sorted(Comparator.<Integer>comparingDouble(i -> -scores[i]).thenComparingInt(i -> i))
                .limit(100).mapToInt(Integer::intValue).toArray();
        final int[] got = new int[100];
        assertEquals(100, DotProductPreRanker.topK(scores, rows, 100, got, new long[100]));
        assertArrayEquals(expected, got);
        final int[] few = new int[10];
        assertEquals(3, DotProductPreRanker.topK(new float[] {1, 3, 2}, 3, 10, few, new long[10]));
        assertArrayEquals(new int[] {1, 2, 0}, Arrays.copyOf(few, 3));
    }

    private static float[] gaussian(final SplittableRandom random, final int n) {
        final float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) random.nextGaussian();
        }
        return a;
    }
}
