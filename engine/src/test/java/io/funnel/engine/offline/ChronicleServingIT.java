package io.funnel.engine.offline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.funnel.codecs.EventBatch;
import io.funnel.codecs.EventType;
import io.funnel.codecs.RecommendResponse;
import io.funnel.engine.config.FunnelConfig;
import io.funnel.engine.data.Dataset;
import io.funnel.engine.data.SyntheticGenerator;
import io.funnel.engine.ingest.EventApplier;
import io.funnel.engine.metrics.FunnelMetrics;
import io.funnel.engine.pipeline.Pipeline;
import io.funnel.engine.pipeline.RequestContext;
import io.funnel.features.ChronicleFeatureStore;
import io.funnel.features.UserRow;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The funnel over the persisted Chronicle feature store and the HNSW index instead of the in-memory ones. */
class ChronicleServingIT {
    @TempDir
    Path dir;

    @Test
    void servesAndLearnsFromEventsOverTheChronicleStore() throws Exception {
        final Dataset data = new SyntheticGenerator().items(3_000).users(1_500).events(40_000).seed(12)
                .endMs(1_763_856_000_000L).generate();
        final FunnelConfig config = FunnelConfig.defaults();
        config.features.store = "chronicle";
        config.features.directory = dir.resolve("features").toString();
        config.features.lockInMemory = true; // mlock the item table (a refusal only logs a warning)
        config.model.bprEpochs = 4;
        config.validate("test");
        final ServingState state = new ServingStateBuilder(config, line -> { }).build(data);
        assertTrue(state.store() instanceof ChronicleFeatureStore, "the configured store serves");
        assertTrue(Files.exists(dir.resolve("features").resolve("users.cm")), "persisted to the folder");
        assertEquals(data.itemCount(), state.itemCount());

        final Pipeline pipeline = ServingStateBuilder.offlinePipeline(state, config);
        final RequestContext ctx = pipeline.newContext();
        final long known = data.userId(data.size() - 1);
        ctx.begin(System.nanoTime(), Long.MAX_VALUE / 4, data.tsMs(data.size() - 1));
        ctx.request().clear().userId(known).count(10);
        RecommendResponse r = pipeline.executeSync(ctx);
        assertFalse(r.coldStart(), "the user's row came from the Chronicle store");
        assertEquals(10, r.count());

        // Events through the single writer reach the persisted rows and the next answer.
        final long newcomer = 9_000_000L;
        final EventBatch batch = new EventBatch().add(newcomer, data.itemId(7), EventType.CLICK, data.tsMs(0));
        try (EventApplier applier = new EventApplier(state, new FunnelMetrics(), 16, 1_000)) {
            assertEquals(1, applier.submit(batch, new int[] {7}, null).await().intValue());
        }
        final UserRow row = new UserRow(state.store().dimension());
        assertTrue(state.store().readUser(newcomer, row));
        assertEquals(7, row.recentItem(0));
        ctx.begin(System.nanoTime(), Long.MAX_VALUE / 4, data.tsMs(data.size() - 1));
        ctx.request().clear().userId(newcomer).count(10);
        r = pipeline.executeSync(ctx);
        assertFalse(r.coldStart());
        for (int i = 0; i < r.count(); i++) {
            assertTrue(r.itemId(i) != data.itemId(7), "the clicked item is filtered as seen");
        }
        state.store().close();
    }
}
