package io.funnel.features;

import io.funnel.features.ChronicleFeatureStore.ItemBackend;
import java.nio.file.Path;

/**
 * Child process of {@link CrashRecoveryTest}: appends items, rewrites earlier rows and records events forever,
 * printing {@code ACK n} once items {@code 0..n} are committed. The parent kills it with SIGKILL.
 *
 * <p>Row invariant the parent checks: {@code embedding[k] == embedding[0] + k/10} and {@code seller_id ==
 * (long) embedding[0]}: a row rewritten halfway would break it.
 */
public final class CrashWriterMain {
    private CrashWriterMain() {}

    public static void main(final String[] args) {
        final Path dir = Path.of(args[0]);
        final ItemBackend backend = ItemBackend.valueOf(args[1]);
        final FeatureSchema schema = TestSchemas.withExtras();
        final int seller = schema.itemLayout().offset("seller_id");
        final ChronicleFeatureStore store = ChronicleFeatureStore.builder().directory(dir).schema(schema)
                .itemBackend(backend).expectedItems(200_000).expectedUsers(1_000).open();
        final ChronicleFeatureWriter w = store.writer();
        for (int i = 0; ; i++) {
            w.stageItem(i).embedding(TestSchemas.vector(i), 0).putLong(seller, i).category(i % 1000);
            w.commitItem();
            final int r = i / 2; // rewrite an earlier row with a new generation
            final int g = i + 1_000_000;
            w.stageItem(r).embedding(TestSchemas.vector(g), 0).putLong(seller, g);
            w.commitItem();
            w.recordInteraction(i % 100, i, 1_000L + i, 1f);
            if (i % 100 == 0) {
                System.out.println("ACK " + i);
                System.out.flush();
            }
        }
    }
}
