package io.funnel.engine.retrieval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PopularityTest {
    private static final long HOUR = 3_600_000L;

    /** Items of the given categories, all in stock, created at time 0, no creator. */
    static ItemAttributes attributes(final int... category) {
        final boolean[] stock = new boolean[category.length];
        java.util.Arrays.fill(stock, true);
        final int[] creator = new int[category.length];
        java.util.Arrays.fill(creator, -1);
        return new ItemAttributes(category, stock, creator, new long[category.length]);
    }

    @Test
    void freshListIsNewestFirstAndInStockOnly() {
        final ItemAttributes a = new ItemAttributes(new int[] {0, 0, 0}, new boolean[] {true, false, true},
                new int[] {-1, -1, -1}, new long[] {5 * HOUR, 9 * HOUR, 7 * HOUR});
        final Popularity p = new Popularity(a, 1, 24, 60, 3, 0);
        p.refresh(10 * HOUR);
        assertArrayEquals(new int[] {2, 0}, p.snapshot().fresh());
    }

    @Test
    void topListsFollowDecayedCounts() {
        final Popularity p = new Popularity(attributes(0, 0, 1, 1), 2, 24, 60, 3, 0);
        final long t0 = 100 * HOUR;
        // Item 0: 10 events two days ago. Item 1: 6 events now. Item 2: 1 event now.
        for (int i = 0; i < 10; i++) {
            p.record(0, 1f, t0 - 48 * HOUR);
        }
        for (int i = 0; i < 6; i++) {
            p.record(1, 1f, t0);
        }
        p.record(2, 1f, t0);
        p.refresh(t0);
        final Popularity.Snapshot s = p.snapshot();
        // Two half-lives later item 0 counts 2.5: below item 1's 6.
        assertArrayEquals(new int[] {1, 0, 2}, s.global());
        assertEquals(2.5f, p.popularity(0, t0), 0.01f);
        assertArrayEquals(new int[] {1, 0}, s.byCategory()[0]);
        assertArrayEquals(new int[] {2}, s.byCategory()[1]);
        assertEquals(1, s.trending()[0], "the item rising now trends first");
    }

    @Test
    void trendingRisesWithABurst() {
        final Popularity p = new Popularity(attributes(0, 0), 1, 168, 60, 2, 0);
        final long t0 = 1_000 * HOUR;
        for (int h = 0; h < 100; h++) {
            p.record(0, 1f, t0 - h * HOUR); // steady: one an hour
        }
        for (int i = 0; i < 20; i++) {
            p.record(1, 1f, t0 - i * 60_000L); // burst: twenty in the last twenty minutes
        }
        assertTrue(p.trending(1) > p.trending(0), p.trending(1) + " vs " + p.trending(0));
    }

    @Test
    void longUptimeDoesNotOverflow() {
        final Popularity p = new Popularity(attributes(0), 1, 168, 60, 1, 0);
        for (long day = 0; day < 400; day++) {
            p.record(0, 1f, day * 24 * HOUR);
        }
        final long now = 400 * 24 * HOUR;
        assertTrue(Float.isFinite(p.popularity(0, now)) && p.popularity(0, now) > 0);
        assertTrue(Float.isFinite(p.trending(0)));
    }
}
