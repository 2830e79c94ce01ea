package io.funnel.engine.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class SyntheticGeneratorTest {
    private static Dataset generate(final long seed) {
        return new SyntheticGenerator().items(2_000).users(500).events(30_000).seed(seed).endMs(1_000_000_000_000L)
                .generate();
    }

    private static long[] fingerprint(final Dataset d) {
        final long[] f = new long[d.size()];
        for (int e = 0; e < d.size(); e++) {
            f[e] = d.userId(e) * 1_000_003L + d.item(e) * 31L + d.type(e);
        }
        return f;
    }

    @Test
    void sameSeedSameData() {
        assertArrayEquals(fingerprint(generate(9)), fingerprint(generate(9)));
        assertNotEquals(Arrays.hashCode(fingerprint(generate(9))), Arrays.hashCode(fingerprint(generate(10))));
    }

    @Test
    void popularityIsHeavyTailed() {
        final Dataset d = generate(1);
        final int[] counts = new int[d.itemCount()];
        for (int e = 0; e < d.size(); e++) {
            counts[d.item(e)]++;
        }
        Arrays.sort(counts);
        long top = 0;
        for (int i = counts.length - counts.length / 100; i < counts.length; i++) {
            top += counts[i];
        }
        // The top 1% of items draw far more than 1% of interactions.
        assertTrue(top > d.size() * 0.08, "top 1% share: " + (double) top / d.size());
        final long step = d.tsMs(1) - d.tsMs(0);
        assertTrue(Math.abs(1_000_000_000_000L - (d.tsMs(d.size() - 1) + step)) <= 1, "the log ends at endMs");
    }

    @Test
    void usersStickToTheirCategories() {
        final Dataset d = generate(2);
        // Consecutive interactions of a user share a category far more often than two random interactions do.
        final java.util.Map<Long, Integer> last = new java.util.HashMap<>();
        int same = 0;
        int pairs = 0;
        for (int e = 0; e < d.size(); e++) {
            final Integer prev = last.put(d.userId(e), d.category(d.item(e)));
            if (prev != null) {
                pairs++;
                if (prev == d.category(d.item(e))) {
                    same++;
                }
            }
        }
        int randomSame = 0;
        for (int e = 1; e < d.size(); e++) {
            if (d.category(d.item(e)) == d.category(d.item(e - 1))) {
                randomSame++;
            }
        }
        final double user = (double) same / pairs;
        final double random = (double) randomSame / (d.size() - 1);
        assertTrue(user > 1.5 * random, "same-category rate: user " + user + " vs random " + random);
    }
}
