package io.funnel.engine.retrieval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.funnel.engine.data.Dataset;
import org.junit.jupiter.api.Test;

class CoVisitationTest {
    /** Items 0..4; users 1 and 2 both go 0 → 1 → 2; user 3 goes 3 → 4. */
    private static Dataset sequences() {
        final long[] users = {1, 1, 1, 2, 2, 2, 3, 3};
        final int[] items = {0, 1, 2, 0, 1, 2, 3, 4};
        final long[] ts = {1, 2, 3, 4, 5, 6, 7, 8};
        return new Dataset("t", new long[] {10, 11, 12, 13, 14}, new int[5], new boolean[] {true, true, true, true,
            true}, new long[5], users, items, new byte[8], ts);
    }

    @Test
    void neighboursComeFromTheSameUsersCloseInTime() {
        final CoVisitation table = CoVisitation.build(sequences(), 1, 10);
        // With a window of 1, item 0's only neighbour is item 1; item 1 sees 0 and 2.
        assertEquals(1, table.neighbourCount(0));
        assertEquals(1, table.neighbour(0, 0));
        assertEquals(2, table.neighbourCount(1));
        assertEquals(1, table.neighbourCount(3));
        assertEquals(4, table.neighbour(3, 0));
        for (int item = 0; item < 5; item++) {
            for (int i = 0; i < table.neighbourCount(item); i++) {
                assertTrue(table.neighbour(item, i) != item, "no self-loops");
                if (i > 0) {
                    assertTrue(table.weight(item, i - 1) >= table.weight(item, i), "sorted best first");
                }
            }
        }
    }

    @Test
    void closerStepsWeighMore() {
        final CoVisitation table = CoVisitation.build(sequences(), 2, 10);
        // From item 0: item 1 is one step away, item 2 two steps; both seen by the same two users.
        assertEquals(2, table.neighbourCount(0));
        assertEquals(1, table.neighbour(0, 0));
        assertEquals(2, table.neighbour(0, 1));
        assertTrue(table.weight(0, 0) > table.weight(0, 1));
    }

    @Test
    void neighbourListsAreCapped() {
        final CoVisitation table = CoVisitation.build(sequences(), 5, 1);
        for (int item = 0; item < 5; item++) {
            assertTrue(table.neighbourCount(item) <= 1);
        }
    }
}
