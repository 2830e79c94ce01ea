package io.funnel.features;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.funnel.features.ChronicleFeatureStore.ItemBackend;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ChronicleFeatureStoreTest {
    @TempDir
    Path dir;

    private ChronicleFeatureStore open(final ItemBackend backend, final FeatureSchema schema) {
        return ChronicleFeatureStore.builder().directory(dir).schema(schema).itemBackend(backend).expectedItems(1000)
                .expectedUsers(1000).open();
    }

    @ParameterizedTest
    @EnumSource(ItemBackend.class)
    void itemsReadBackLikeTheInMemoryReference(final ItemBackend backend) {
        final FeatureSchema schema = TestSchemas.withExtras();
        final InMemoryFeatureStore ref = new InMemoryFeatureStore(TestSchemas.DIM, 16);
        try (ChronicleFeatureStore store = open(backend, schema)) {
            for (int i = 0; i < 100; i++) {
                final long id = 1_000_000L + i * 7L;
                final int a = store.writer().putItem(id, i % 5, i % 3 != 0, 1_700_000_000_000L + i,
                        TestSchemas.vector(i));
                final int b = ref.writer().putItem(id, i % 5, i % 3 != 0, 1_700_000_000_000L + i,
                        TestSchemas.vector(i));
                assertEquals(b, a);
            }
            assertEquals(100, store.itemCount());
            assertEquals(42, store.ordinalOf(1_000_000L + 42 * 7L));
            assertEquals(-1, store.ordinalOf(5));
            assertEquals(1_000_000L + 9 * 7L, store.itemIdAt(9));
            final int[] ords = {99, 0, 42, 42, 7};
            final ItemColumns got = ItemColumns.forSchema(schema, 2);
            final ItemColumns want = new ItemColumns(TestSchemas.DIM, 2);
            store.readItems(ords, ords.length, got);
            ref.readItems(ords, ords.length, want);
            assertEquals(5, got.count());
            for (int i = 0; i < ords.length; i++) {
                assertEquals(want.category()[i], got.category()[i]);
                assertEquals(want.inStock()[i], got.inStock()[i]);
                assertEquals(want.createdAtMs()[i], got.createdAtMs()[i]);
            }
            assertArrayEquals(Arrays.copyOf(want.embeddings(), 5 * TestSchemas.DIM),
                    Arrays.copyOf(got.embeddings(), 5 * TestSchemas.DIM));
            // Extras hold their defaults until set.
            final RowLayout l = schema.itemLayout();
            assertEquals(9.5f, got.extraFloats()[l.extraColumn("price")]);
            assertEquals(0.25f, got.extraFloats()[l.extraColumn("thumb") + 1]);
            assertEquals(77L, got.extraLongs()[l.extraColumn("seller_id")]);
            assertEquals(-1L, got.extraLongs()[l.extraColumn("tags")]);
            assertThrows(IndexOutOfBoundsException.class, () -> store.readItems(new int[] {100}, 1, got));
            // Columns without extras (what callers of InMemoryFeatureStore create) get the built-ins.
            final ItemColumns plain = new ItemColumns(TestSchemas.DIM, 1);
            store.readItems(new int[] {42}, 1, plain);
            assertEquals(want.category()[2], plain.category()[0]);
            assertThrows(IllegalArgumentException.class,
                    () -> store.readItems(new int[] {1}, 1, new ItemColumns(TestSchemas.DIM, 1, 1, 0)));
        }
    }

    @ParameterizedTest
    @EnumSource(ItemBackend.class)
    void stagedExtrasAreVisibleAfterCommit(final ItemBackend backend) {
        final FeatureSchema schema = TestSchemas.withExtras();
        final RowLayout l = schema.itemLayout();
        try (ChronicleFeatureStore store = open(backend, schema)) {
            store.writer().putItem(10, 1, true, 5, TestSchemas.vector(1));
            store.writer().stageItem(10).putFloat(l.offset("price"), 3.25f).putLong(l.offset("seller_id"), 123)
                    .putIdList(l.offset("tags"), new long[] {5, 6}, 2);
            assertEquals(0, store.writer().commitItem());
            final ItemColumns c = ItemColumns.forSchema(schema, 1);
            store.readItems(new int[] {0}, 1, c);
            assertEquals(3.25f, c.extraFloats()[l.extraColumn("price")]);
            assertEquals(123L, c.extraLongs()[l.extraColumn("seller_id")]);
            final int tags = l.extraColumn("tags");
            assertArrayEquals(new long[] {5, 6, -1}, Arrays.copyOfRange(c.extraLongs(), tags, tags + 3));
            assertEquals(1, c.category()[0], "staging kept the built-ins");
        }
    }

    @ParameterizedTest
    @EnumSource(ItemBackend.class)
    void eventsUpdateUserRingCountersAndItemSignals(final ItemBackend backend) {
        final FeatureSchema schema = TestSchemas.withExtras();
        try (ChronicleFeatureStore store = open(backend, schema)) {
            final FeatureWriter w = store.writer();
            for (int i = 0; i < 20; i++) {
                w.putItem(100 + i, 0, true, 0, null);
            }
            final UserRow row = new UserRow(TestSchemas.DIM);
            assertFalse(store.readUser(7, row));
            w.putUserEmbedding(7, TestSchemas.vector(3));
            assertTrue(store.readUser(7, row));
            assertTrue(row.hasEmbedding());
            assertArrayEquals(TestSchemas.vector(3), row.embedding());
            assertEquals(0, row.recentCount());
            final long t0 = 1_700_000_000_000L;
            for (int i = 0; i < 20; i++) {
                w.recordImpression(7, i, t0 + i);
                w.recordInteraction(7, i, t0 + i, 2f);
            }
            assertTrue(store.readUser(7, row));
            assertEquals(16, row.recentCount(), "ring keeps the schema's length");
            assertEquals(19, row.recentItem(0), "most recent first");
            assertEquals(t0 + 19, row.recentTsMs(0));
            assertEquals(4, row.recentItem(15));
            assertEquals(40f, row.interactionWeight());
            assertEquals(20f, row.clicks(), 0.01f);
            assertEquals(t0 + 19, row.lastEventMs());
            assertArrayEquals(TestSchemas.vector(3), row.embedding(), "events keep the embedding");

            // Item 3: one impression and one click of weight 2.
            final ItemColumns c = ItemColumns.forSchema(schema, 1);
            store.readItems(new int[] {3}, 1, c);
            assertEquals(2f, c.interactions()[0]);
            assertEquals((1f + 1f) / (1f + 50f), c.ctr()[0], 1e-4f);
            assertEquals(2f, c.trending()[0], 1e-4f);
            // An hour later (one trending half-life) another click: trending halves then adds.
            w.recordInteraction(8, 3, t0 + 3 + 3_600_000L, 1f);
            store.readItems(new int[] {3}, 1, c);
            assertEquals(2f * 0.5f + 1f, c.trending()[0], 1e-3f);
            assertEquals(3f, c.interactions()[0]);
            w.setInStock(3, false);
            store.readItems(new int[] {3}, 1, c);
            assertFalse(c.inStock()[0]);
        }
    }

    @ParameterizedTest
    @EnumSource(ItemBackend.class)
    void reopeningGivesBackEveryRow(final ItemBackend backend) {
        final FeatureSchema schema = TestSchemas.withExtras();
        try (ChronicleFeatureStore store = open(backend, schema)) {
            for (int i = 0; i < 500; i++) {
                store.writer().putItem(i * 3L, i, true, i, TestSchemas.vector(i));
                store.writer().recordInteraction(i * 11L, i, 1000 + i, 1f);
            }
        }
        assertFalse(Files.exists(dir.resolve(ChronicleFeatureStore.MARKER_FILE)), "clean close removes the marker");
        // Reopen without a schema: the stored schema.yaml is used.
        try (ChronicleFeatureStore store = ChronicleFeatureStore.builder().directory(dir).itemBackend(backend)
                .expectedItems(1000).expectedUsers(1000).open()) {
            assertFalse(store.recoveredFromCrash());
            assertEquals(schema.fingerprint(), store.schema().fingerprint());
            assertEquals(500, store.itemCount());
            final int[] ords = new int[500];
            for (int i = 0; i < 500; i++) {
                ords[i] = i;
                assertEquals(i, store.ordinalOf(i * 3L));
            }
            final ItemColumns c = ItemColumns.forSchema(schema, 500);
            store.readItems(ords, 500, c);
            final UserRow u = new UserRow(TestSchemas.DIM);
            for (int i = 0; i < 500; i++) {
                assertEquals(i, c.category()[i]);
                assertEquals(i, c.embeddings()[i * TestSchemas.DIM]);
                assertEquals(1f, c.interactions()[i]);
                assertTrue(store.readUser(i * 11L, u));
                assertEquals(i, u.recentItem(0));
            }
            // Still writable after reopen: the next item gets the next ordinal.
            assertEquals(500, store.writer().putItem(99_999, 1, true, 1, null));
        }
    }

    @ParameterizedTest
    @EnumSource(ItemBackend.class)
    void openingUnderAnotherSchemaNamesTheDifference(final ItemBackend backend) {
        try (ChronicleFeatureStore store = open(backend, TestSchemas.withExtras())) {
            store.writer().putItem(1, 1, true, 1, null);
        }
        final FeatureSchema changed = TestSchemas.base().item("price", FeatureType.INT, 1, 0).build();
        final SchemaMismatchException e = assertThrows(SchemaMismatchException.class, () -> open(backend, changed));
        assertTrue(e.getMessage().contains("item feature 'price': type float in the store, int in test schema"),
                e.getMessage());
        assertTrue(e.getMessage().contains("not migratable"), e.getMessage());
        assertTrue(e.differences().size() >= 2, e.differences().toString());
    }

    @ParameterizedTest
    @EnumSource(ItemBackend.class)
    void addingAFeatureMigratesWhenAllowed(final ItemBackend backend) {
        final FeatureSchema v1 = TestSchemas.base().item("price", FeatureType.FLOAT, 1, 0).version(1).build();
        try (ChronicleFeatureStore store = open(backend, v1)) {
            store.writer().stageItem(42).putFloat(v1.itemLayout().offset("price"), 2.5f);
            store.writer().commitItem();
            store.writer().putUserEmbedding(9, TestSchemas.vector(9));
        }
        final FeatureSchema v2 = TestSchemas.base().item("price", FeatureType.FLOAT, 1, 0)
                .item("discount", FeatureType.FLOAT, 1, 0.1).version(2).build();
        final SchemaMismatchException e = assertThrows(SchemaMismatchException.class, () -> open(backend, v2));
        assertTrue(e.getMessage().contains("item feature 'discount' is in test schema but not in the store"),
                e.getMessage());
        assertTrue(e.getMessage().contains("migrate(true)"), e.getMessage());
        try (ChronicleFeatureStore store = ChronicleFeatureStore.builder().directory(dir).schema(v2)
                .itemBackend(backend).expectedItems(1000).expectedUsers(1000).migrate(true).open()) {
            final ItemColumns c = ItemColumns.forSchema(v2, 1);
            store.readItems(new int[] {store.ordinalOf(42)}, 1, c);
            assertEquals(2.5f, c.extraFloats()[v2.itemLayout().extraColumn("price")]);
            assertEquals(0.1f, c.extraFloats()[v2.itemLayout().extraColumn("discount")]);
            final UserRow u = new UserRow(TestSchemas.DIM);
            assertTrue(store.readUser(9, u));
            assertArrayEquals(TestSchemas.vector(9), u.embedding());
        }
    }

    @org.junit.jupiter.api.Test
    void theDenseTableGrowsPastItsInitialCapacityAndReopens() {
        final FeatureSchema schema = TestSchemas.withExtras();
        final ItemColumns c = ItemColumns.forSchema(schema, 16);
        try (ChronicleFeatureStore store = ChronicleFeatureStore.builder().directory(dir).schema(schema)
                .expectedItems(16).expectedUsers(16).open()) {
            store.readItems(new int[0], 0, c); // a reader holding the first mapping
            for (int i = 0; i < 50; i++) {
                store.writer().putItem(i, i, true, i, TestSchemas.vector(i));
            }
            store.readItems(new int[] {0, 17, 49}, 3, c);
            assertEquals(17, c.category()[1]);
            assertEquals(49f, c.embeddings()[2 * TestSchemas.DIM]);
        }
        try (ChronicleFeatureStore store = ChronicleFeatureStore.builder().directory(dir).expectedItems(16)
                .expectedUsers(16).open()) {
            assertEquals(50, store.itemCount());
            store.readItems(new int[] {49, 33}, 2, c);
            assertEquals(49, c.category()[0]);
            assertEquals(33f, c.embeddings()[TestSchemas.DIM]);
        }
    }

    @org.junit.jupiter.api.Test
    void builderNamesTheBadSetting() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ChronicleFeatureStore.builder().schema(TestSchemas.withExtras()).open());
        assertEquals("directory is required", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ChronicleFeatureStore.builder().directory(dir)
                .schema(TestSchemas.withExtras()).expectedItems(0).open());
        assertTrue(e.getMessage().startsWith("expectedItems must be 1.."), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ChronicleFeatureStore.builder().directory(dir).open());
        assertTrue(e.getMessage().startsWith("schema is required"), e.getMessage());
    }
}
