package io.funnel.features;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.funnel.features.ChronicleFeatureStore.ItemBackend;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** One writer rewrites rows while readers check that every row they see is whole (all fields of one generation). */
class ConcurrentReadTest {
    private static final int ROWS = 64;

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(ItemBackend.class)
    void readersNeverSeeAHalfWrittenRow(final ItemBackend backend) throws Exception {
        final FeatureSchema schema = TestSchemas.withExtras();
        final RowLayout l = schema.itemLayout();
        final int seller = l.offset("seller_id");
        try (ChronicleFeatureStore store = ChronicleFeatureStore.builder().directory(dir).schema(schema)
                .itemBackend(backend).expectedItems(ROWS).expectedUsers(16).open()) {
            final ChronicleFeatureWriter w = store.writer();
            for (int r = 0; r < ROWS; r++) {
                w.stageItem(r).embedding(TestSchemas.vector(0), 0).putLong(seller, 0);
                w.commitItem();
            }
            w.putUserEmbedding(1, TestSchemas.vector(0));
            final AtomicBoolean done = new AtomicBoolean();
            final AtomicLong torn = new AtomicLong();
            final AtomicLong rowsChecked = new AtomicLong();
            final Runnable reader = () -> {
                final ItemColumns c = ItemColumns.forSchema(schema, ROWS);
                final UserRow u = new UserRow(TestSchemas.DIM);
                final int[] ords = new int[ROWS];
                for (int i = 0; i < ROWS; i++) {
                    ords[i] = ROWS - 1 - i;
                }
                final int sellerCol = l.extraColumn("seller_id");
                while (!done.get()) {
                    store.readItems(ords, ROWS, c);
                    for (int i = 0; i < ROWS; i++) {
                        final float g = c.embeddings()[i * TestSchemas.DIM];
                        boolean ok = c.extraLongs()[i * l.extraLongWidth() + sellerCol] == (long) g;
                        for (int k = 1; k < TestSchemas.DIM; k++) {
                            ok &= c.embeddings()[i * TestSchemas.DIM + k] == g + k / 10f;
                        }
                        if (!ok) {
                            torn.incrementAndGet();
                        }
                    }
                    store.readUser(1, u);
                    for (int k = 1; k < TestSchemas.DIM; k++) {
                        if (u.embedding()[k] != u.embedding()[0] + k / 10f) {
                            torn.incrementAndGet();
                        }
                    }
                    rowsChecked.addAndGet(ROWS);
                }
            };
            final Thread r1 = new Thread(reader, "reader-1");
            final Thread r2 = new Thread(reader, "reader-2");
            r1.start();
            r2.start();
            for (int g = 1; g <= 20_000; g++) {
                final int r = g % ROWS;
                w.stageItem(r).embedding(TestSchemas.vector(g), 0).putLong(seller, g);
                w.commitItem();
                if ((g & 7) == 0) {
                    w.putUserEmbedding(1, TestSchemas.vector(g));
                }
            }
            done.set(true);
            r1.join();
            r2.join();
            assertTrue(rowsChecked.get() > 0, "readers ran");
            assertEquals(0, torn.get(), "torn rows seen out of " + rowsChecked.get());
        }
    }
}
