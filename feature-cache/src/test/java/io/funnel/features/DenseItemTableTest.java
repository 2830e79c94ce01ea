package io.funnel.features;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The dense table's undo slot: a rewrite cut short (the writer died after beginWrite) is rolled back at open. */
class DenseItemTableTest {
    @TempDir
    Path dir;

    @Test
    void aRewriteCutShortIsRolledBackAtOpen() {
        final FeatureSchema schema = TestSchemas.withExtras();
        final RowLayout l = schema.itemLayout();
        final ItemRowFlyweight row = new ItemRowFlyweight(l);
        final Path file = dir.resolve("items.dense");
        try (DenseItemTable t = new DenseItemTable(file, l, schema.fingerprint(), 4)) {
            final long at = t.prepareAppend(0);
            row.wrap(t.segment(), at).reset().itemId(5).embedding(TestSchemas.vector(1), 0);
            t.publish(1);
            final long w = t.beginWrite(0);
            row.wrap(t.segment(), w).embedding(TestSchemas.vector(2), 0); // half of a rewrite ...
            assertEquals(1, t.segment().get(JAVA_INT, w) & 1, "sequence word odd inside the write");
            // ... and the process dies: no endWrite
        }
        try (DenseItemTable t = new DenseItemTable(file, l, schema.fingerprint(), 4)) {
            assertTrue(t.repaired());
            final long at = t.rowOffset(0);
            assertEquals(0, t.segment().get(JAVA_INT, at) & 1, "sequence word even again");
            assertEquals(1f, t.segment().get(JAVA_FLOAT_UNALIGNED, at + l.offset(FeatureSchema.EMBEDDING)),
                    "the old row is back");
            assertEquals(5, t.itemIdAt(0));
        }
        try (DenseItemTable t = new DenseItemTable(file, l, schema.fingerprint(), 4)) {
            assertFalse(t.repaired(), "nothing to repair the second time");
        }
    }

    @Test
    void aFileOfAnotherLayoutIsRefused() {
        final FeatureSchema schema = TestSchemas.withExtras();
        final Path file = dir.resolve("items.dense");
        try (DenseItemTable t = new DenseItemTable(file, schema.itemLayout(), schema.fingerprint(), 4)) {
            t.publish(0);
        }
        final FeatureSchema other = TestSchemas.base().build();
        final FeatureStoreException e = assertThrows(FeatureStoreException.class,
                () -> new DenseItemTable(file, other.itemLayout(), other.fingerprint(), 4));
        assertTrue(e.getMessage().contains("written under schema fingerprint"), e.getMessage());
    }
}
