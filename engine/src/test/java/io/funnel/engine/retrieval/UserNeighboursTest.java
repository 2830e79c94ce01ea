package io.funnel.engine.retrieval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class UserNeighboursTest {
    private static final long A = 10;
    private static final long B = 20;
    private static final long C = 30;
    private static final long D = 40;
    private static final long[] IDS = {A, B, C, D};
    private static final int[][] ITEMS = {{1, 2, 3}, {1, 2, 3, 4}, {5, 6}, {1, 5}};

    @Test
    void nearestUsersByCosineOfTheirItemSets() {
        final UserNeighbours n = UserNeighbours.build(IDS, ITEMS, 8, 5);
        assertEquals(2, n.neighbourCount(A));
        assertEquals(B, n.neighbour(A, 0));
        assertEquals(3 / Math.sqrt(12), n.weight(A, 0), 1e-6);
        assertEquals(D, n.neighbour(A, 1));
        assertEquals(1 / Math.sqrt(6), n.weight(A, 1), 1e-6);
        assertEquals(1, n.neighbourCount(C), "C shares an item with D only");
        assertEquals(D, n.neighbour(C, 0));
        assertEquals(0.5, n.weight(C, 0), 1e-6);
        assertEquals(0, n.neighbourCount(99L), "unknown user");
        assertThrows(IndexOutOfBoundsException.class, () -> n.neighbour(C, 1));

        final UserNeighbours one = UserNeighbours.build(IDS, ITEMS, 8, 1);
        assertEquals(1, one.neighbourCount(A));
        assertEquals(B, one.neighbour(A, 0), "k = 1 keeps the most similar");
        assertEquals(0, UserNeighbours.build(IDS, ITEMS, 8, 0).neighbourCount(A), "k = 0: no neighbours");
    }

    @Test
    void accumulatorSharesNeighbourWeightPerItemAndFollowsLiveHistories() {
        final UserNeighbours n = UserNeighbours.build(IDS, ITEMS, 8, 5);
        final SeenItems seen = new SeenItems();
        for (int u = 0; u < IDS.length; u++) {
            seen.put(IDS[u], ITEMS[u], ITEMS[u].length);
        }
        final UserNeighbours.Accumulator acc = new UserNeighbours.Accumulator();
        acc.load(n, A, seen);
        final double wb = 3 / Math.sqrt(12);
        final double wd = 1 / Math.sqrt(6);
        assertEquals(1.0, acc.share(1), 1e-6, "both neighbours have item 1");
        assertEquals(wb / (wb + wd), acc.share(4), 1e-6);
        assertEquals(wd / (wb + wd), acc.share(5), 1e-6);
        assertEquals(0f, acc.share(6));
        assertEquals(0f, acc.share(1_000_000), "an ordinal beyond anything seen");

        seen.add(D, 7); // a feedback event after the build: read live
        acc.load(n, A, seen);
        assertEquals(wd / (wb + wd), acc.share(7), 1e-6);

        acc.load(n, C, seen); // the previous user's sums are cleared
        assertEquals(1.0, acc.share(5), 1e-6);
        assertEquals(0f, acc.share(2));
        acc.load(n, 99L, seen);
        assertEquals(0f, acc.share(1), "a user without neighbours");
    }

    @Test
    void popularItemsLinkOnlyTheirLastUsersAndTheBuildIsRepeatable() {
        final int users = UserNeighbours.MAX_USERS_PER_ITEM + 88;
        final long[] ids = new long[users];
        final int[][] items = new int[users][];
        final SplittableRandom random = new SplittableRandom(3);
        for (int u = 0; u < users; u++) {
            ids[u] = 1000 + u;
            items[u] = new int[] {0, 1 + random.nextInt(50)}; // item 0: everybody
        }
        final UserNeighbours first = UserNeighbours.build(ids, items, 51, 600);
        final UserNeighbours again = UserNeighbours.build(ids, items, 51, 600);
        for (int u = 0; u < users; u++) {
            assertEquals(first.neighbourCount(ids[u]), again.neighbourCount(ids[u]));
            for (int j = 0; j < first.neighbourCount(ids[u]); j++) {
                assertEquals(first.neighbour(ids[u], j), again.neighbour(ids[u], j));
                assertEquals(first.weight(ids[u], j), again.weight(ids[u], j));
            }
        }
        // The last user reaches the first 88 only through their other item, never through item 0.
        final long last = ids[users - 1];
        for (int j = 0; j < first.neighbourCount(last); j++) {
            final int v = (int) (first.neighbour(last, j) - 1000);
            assertTrue(v >= 88 || items[v][1] == items[users - 1][1], "user " + v + " linked through item 0");
        }
    }

    @Test
    void badArgumentsAreRefused() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> UserNeighbours.build(IDS, ITEMS, 8, -1))
                .getMessage().contains("k must be >= 0"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> UserNeighbours.build(new long[] {1}, ITEMS, 8, 2)).getMessage()
                .contains("1 user ids but 4 item sets"));
    }
}
