package io.funnel.features;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class InMemoryFeatureStoreTest {
    @Test
    void itemsRoundTripThroughBatchedReads() {
        final InMemoryFeatureStore store = new InMemoryFeatureStore(2, 1);
        for (int i = 0; i < 40; i++) { // grows past its initial capacity
            assertEquals(i, store.writer().putItem(1000 + i, i % 3, i % 2 == 0, 5L * i, new float[] {i, -i}));
        }
        assertEquals(40, store.itemCount());
        assertEquals(17, store.ordinalOf(1017));
        assertEquals(-1, store.ordinalOf(7));
        final ItemColumns cols = new ItemColumns(2, 1);
        store.readItems(new int[] {33, 2}, 2, cols);
        assertEquals(0, cols.category()[0]);
        assertFalse(cols.inStock()[0]);
        assertEquals(10L, cols.createdAtMs()[1]);
        assertArrayEquals(new float[] {33, -33, 2, -2}, java.util.Arrays.copyOf(cols.embeddings(), 4));
        assertThrows(IllegalArgumentException.class, () -> store.writer().putItem(1, 0, true, 0, new float[3]));
    }

    @Test
    void recentItemsAreMostRecentFirstAndBounded() {
        final InMemoryFeatureStore store = new InMemoryFeatureStore(2, 100);
        for (int i = 0; i < 100; i++) {
            store.writer().putItem(i, 0, true, 0, null);
        }
        final UserRow row = new UserRow(2);
        assertFalse(store.readUser(9, row), "unknown user");
        for (int i = 0; i < 70; i++) {
            store.writer().recordInteraction(9, i, 1000L + i, 1f);
        }
        assertTrue(store.readUser(9, row));
        assertEquals(UserRow.MAX_RECENT, row.recentCount());
        assertEquals(69, row.recentItem(0));
        assertEquals(1069L, row.recentTsMs(0));
        assertEquals(69 - UserRow.MAX_RECENT + 1, row.recentItem(UserRow.MAX_RECENT - 1));
        assertEquals(70f, row.interactionWeight());
        assertFalse(row.hasEmbedding());
        final ItemColumns cols = new ItemColumns(2, 1);
        store.readItems(new int[] {5}, 1, cols);
        assertEquals(1f, cols.interactions()[0]);
    }

    @Test
    void readersNeverSeeAHalfWrittenRow() throws Exception {
        final InMemoryFeatureStore store = new InMemoryFeatureStore(4, 10);
        store.writer().putItem(1, 0, true, 0, null);
        store.writer().putUserEmbedding(7, new float[] {0, 0, 0, 0});
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicReference<String> torn = new AtomicReference<>();
        final Thread reader = new Thread(() -> {
            final UserRow row = new UserRow(4);
            while (!stop.get()) {
                store.readUser(7, row);
                final float[] e = row.embedding();
                // The writer always writes four equal components: a mix means a torn read.
                if (e[0] != e[1] || e[1] != e[2] || e[2] != e[3]) {
                    torn.set(java.util.Arrays.toString(e));
                }
                // Each interaction writes ordinal == ts: a mismatch means a torn ring.
                if (row.recentCount() > 0 && row.recentTsMs(0) != row.recentItem(0)) {
                    torn.set("ring " + row.recentItem(0) + " at " + row.recentTsMs(0));
                }
            }
        });
        reader.start();
        for (int i = 0; i < 200_000 && torn.get() == null; i++) {
            store.writer().putUserEmbedding(7, new float[] {i, i, i, i});
            store.writer().recordInteraction(7, 0, 0, 0f);
        }
        stop.set(true);
        reader.join();
        assertEquals(null, torn.get());
    }
}
