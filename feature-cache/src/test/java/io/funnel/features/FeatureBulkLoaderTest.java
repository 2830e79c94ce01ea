package io.funnel.features;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FeatureBulkLoaderTest {
    @TempDir
    Path dir;

    private ChronicleFeatureStore store;
    private final FeatureSchema schema = TestSchemas.withExtras();

    @BeforeEach
    void open() {
        store = ChronicleFeatureStore.builder().directory(dir.resolve("store")).schema(schema).expectedItems(100)
                .expectedUsers(100).open();
    }

    @AfterEach
    void close() {
        store.close();
    }

    private Path write(final String name, final String text) throws IOException {
        final Path p = dir.resolve(name);
        Files.writeString(p, text, StandardCharsets.UTF_8);
        return p;
    }

    private FeatureBulkLoader.Builder loader() {
        return FeatureBulkLoader.builder(store).progress(false);
    }

    @Test
    void csvWithEveryKindOfField() throws IOException {
        final Path f = write("items.csv", """
                item_id,category,in_stock,created_at_ms,embedding,price,tags,updated_at
                11,3,true,1700000000000,0 1 2 3 4 5 6 7,1.5,"7,8",2024-01-01T00:00:00Z
                12,4,0,1700000000001,1;1;1;1;1;1;1;1,,9,5
                """);
        final FeatureBulkLoader.Report r = loader().build().load(f);
        assertEquals(2, r.rowsLoaded());
        assertEquals(0, r.rowsRejected());
        final ItemColumns c = ItemColumns.forSchema(schema, 2);
        store.readItems(new int[] {store.ordinalOf(11), store.ordinalOf(12)}, 2, c);
        final RowLayout l = schema.itemLayout();
        assertEquals(3, c.category()[0]);
        assertTrue(c.inStock()[0]);
        assertFalse(c.inStock()[1]);
        assertEquals(1_700_000_000_001L, c.createdAtMs()[1]);
        assertArrayEquals(new float[] {0, 1, 2, 3, 4, 5, 6, 7}, Arrays.copyOf(c.embeddings(), 8));
        assertEquals(1.5f, c.extraFloats()[l.extraColumn("price")]);
        assertEquals(9.5f, c.extraFloats()[l.extraFloatWidth() + l.extraColumn("price")], "empty field: default");
        final int tags = l.extraColumn("tags");
        assertArrayEquals(new long[] {7, 8, -1}, Arrays.copyOfRange(c.extraLongs(), tags, tags + 3));
        assertEquals(1_704_067_200_000L, c.extraLongs()[l.extraColumn("updated_at")]);
        assertEquals(5L, c.extraLongs()[l.extraLongWidth() + l.extraColumn("updated_at")]);
    }

    @Test
    void theEngineGeneratorsItemsCsvLoads() throws IOException {
        final Path f = write("items.csv", "item_id,category,in_stock,created_at_ms\n1,2,1,3\n4,5,0,6\n");
        assertEquals(2, loader().build().load(f).rowsLoaded());
        assertEquals(2, store.itemCount());
        assertEquals(4, store.itemIdAt(1));
    }

    @Test
    void aBadLineNamesFileLineAndField() throws IOException {
        final Path f = write("items.csv", "item_id,category,price\n1,2,3.5\n2,3,abc\n3,4,5\n");
        final BulkLoadException e = assertThrows(BulkLoadException.class, () -> loader().build().load(f));
        assertEquals("items.csv:3: field 'price': not a finite number: 'abc'", e.getMessage());
        assertEquals(3, e.line());
        assertEquals("price", e.field());
        assertEquals("items.csv", e.file());
        assertEquals(1, store.itemCount(), "lines before the bad one are loaded, the bad one is not");
    }

    @Test
    void badLinesAreSkippedAndReportedUpToMaxErrors() throws IOException {
        final Path f = write("items.csv", "item_id,category,embedding\n1,2,\n2,x,\n3,4,1 2\n4,5,\n");
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final FeatureBulkLoader.Report r = loader().maxErrors(2).errors(new PrintStream(err, true, StandardCharsets.UTF_8))
                .build().load(f);
        assertEquals(2, r.rowsLoaded());
        assertEquals(2, r.rowsRejected());
        assertEquals("items.csv:3: field 'category': not a 32-bit integer: 'x'", r.errors().get(0));
        assertEquals("items.csv:4: field 'embedding': expected 8 components, got 2", r.errors().get(1));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("skipped items.csv:4: field 'embedding'"));
        final BulkLoadException e = assertThrows(BulkLoadException.class, () -> loader().maxErrors(1)
                .errors(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).build().load(f));
        assertTrue(e.getMessage().startsWith("items.csv:4: field 'embedding': more than 1 bad lines"), e.getMessage());
    }

    @Test
    void headerErrorsAreLineOne() throws IOException {
        BulkLoadException e = assertThrows(BulkLoadException.class,
                () -> loader().build().load(write("a.csv", "id,category\n1,2\n")));
        assertEquals("a.csv:1: the header must start with item_id, got 'id'", e.getMessage());
        e = assertThrows(BulkLoadException.class,
                () -> loader().build().load(write("b.csv", "item_id,colour\n1,2\n")));
        assertTrue(e.getMessage().startsWith("b.csv:1: field 'colour': not a item feature of the schema"),
                e.getMessage());
        e = assertThrows(BulkLoadException.class,
                () -> loader().build().load(write("c.csv", "item_id,category\n1,2,3\n")));
        assertEquals("c.csv:2: expected 2 fields as in the header, got 3", e.getMessage());
    }

    @Test
    void jsonLinesItemsAndUsers() throws IOException {
        final Path items = write("items.jsonl", """
                {"item_id": 5, "category": 1, "in_stock": false, "embedding": [1,1,1,1,1,1,1,1], "seller_id": 9}

                {"item_id": 6, "created_at_ms": "2024-01-01T00:00:00Z", "tags": [1, 2, 3]}
                """);
        assertEquals(2, loader().build().load(items).rowsLoaded());
        final ItemColumns c = ItemColumns.forSchema(schema, 2);
        store.readItems(new int[] {0, 1}, 2, c);
        assertFalse(c.inStock()[0]);
        assertEquals(9L, c.extraLongs()[schema.itemLayout().extraColumn("seller_id")]);
        assertEquals(1_704_067_200_000L, c.createdAtMs()[1]);

        final Path users = write("users.jsonl",
                "{\"user_id\": 77, \"embedding\": [2,2,2,2,2,2,2,2], \"recent_items\": [5, 6], \"country\": 44}\n");
        assertEquals(1, loader().entity(FeatureSchema.Entity.USER).build().load(users).rowsLoaded());
        final UserRow u = UserRow.forSchema(schema);
        assertTrue(store.readUser(77, u));
        assertEquals(44L, u.extraLongs()[schema.userLayout().extraColumn("country")]);
        assertEquals(2, u.recentCount());
        assertEquals(1, u.recentItem(0), "last listed is most recent");
        assertEquals(2f, u.embedding()[7]);

        final BulkLoadException e = assertThrows(BulkLoadException.class, () -> loader().build()
                .load(write("bad.jsonl", "{\"item_id\": 7}\n{\"item_id\": 8, \"embedding\": [1, 2]}\n")));
        assertEquals("bad.jsonl:2: field 'embedding': expected an array of 8 numbers, got 2 elements",
                e.getMessage());
        final BulkLoadException e2 = assertThrows(BulkLoadException.class,
                () -> loader().build().load(write("bad2.jsonl", "{\"item_id\": 7,\n")));
        assertTrue(e2.getMessage().startsWith("bad2.jsonl:1: not a JSON object"), e2.getMessage());
    }
}
