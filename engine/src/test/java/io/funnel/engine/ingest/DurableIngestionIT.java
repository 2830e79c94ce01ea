package io.funnel.engine.ingest;

import static io.funnel.engine.ingest.IngestFixtures.FIRST_TEST_USER;
import static io.funnel.engine.ingest.IngestFixtures.clicks;
import static io.funnel.engine.ingest.IngestFixtures.weight;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.funnel.engine.config.FunnelConfig;
import io.funnel.engine.data.Dataset;
import io.funnel.engine.metrics.FunnelMetrics;
import io.funnel.engine.offline.ServingState;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The whole event path with a real archive: accepted events survive restarts and are applied once per start. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DurableIngestionIT {
    @TempDir
    Path dir;

    private FunnelConfig config() {
        return IngestFixtures.durableConfig(dir.resolve("ingest"), "data");
    }

    @Test
    void restartsReplayEveryAcceptedBatchExactlyOnce() throws Exception {
        final Dataset data = IngestFixtures.smallData();
        final FunnelConfig config = config();
        final ServingState first = IngestFixtures.state(data);
        long lastPosition = 0;
        try (EventIngestion ingestion = EventIngestion.start(config, first, new FunnelMetrics(), () -> { })) {
            for (int b = 0; b < 50; b++) {
                final EventIntake.Accepted ok = ingestion.intake()
                        .submit(clicks(first, FIRST_TEST_USER + b % 5, 4, 10_000 + b * 10L), null)
                        .await(10, TimeUnit.SECONDS);
                assertEquals(4, ok.events());
                assertTrue(ok.logPosition() > lastPosition, "positions grow");
                lastPosition = ok.logPosition();
            }
        }
        for (int restart = 0; restart < 2; restart++) {
            final ServingState again = IngestFixtures.state(data);
            final FunnelMetrics metrics = new FunnelMetrics();
            try (EventIngestion ingestion = EventIngestion.start(config, again, metrics, () -> { })) {
                assertEquals(200, metrics.ingest().replayed(), "restart " + restart);
                assertEquals(lastPosition, again.logPosition());
                for (int u = 0; u < 5; u++) {
                    assertEquals(40f, weight(again, FIRST_TEST_USER + u), "user " + u + ", restart " + restart);
                }
            }
            assertEquals(lastPosition, new AppliedPositionFile(Path.of(config.ingest.dir)).read().position());
        }
        // New events after a restart land after the old ones, and the next start replays both.
        final ServingState third = IngestFixtures.state(data);
        try (EventIngestion ingestion = EventIngestion.start(config, third, new FunnelMetrics(), () -> { })) {
            final EventIntake.Accepted ok = ingestion.intake()
                    .submit(clicks(third, FIRST_TEST_USER, 1, 99_000), null).await(10, TimeUnit.SECONDS);
            assertTrue(ok.logPosition() > lastPosition);
        }
        final ServingState fourth = IngestFixtures.state(data);
        try (EventIngestion ingestion = EventIngestion.start(config, fourth, new FunnelMetrics(), () -> { })) {
            assertEquals(41f, weight(fourth, FIRST_TEST_USER));
        }
    }
}
