package io.funnel.engine.ingest;

import static io.funnel.engine.ingest.IngestFixtures.FIRST_TEST_USER;
import static io.funnel.engine.ingest.IngestFixtures.clicks;
import static io.funnel.engine.ingest.IngestFixtures.ordinals;
import static io.funnel.engine.ingest.IngestFixtures.weight;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.funnel.codecs.EventBatch;
import io.funnel.engine.FunnelException;
import io.funnel.engine.data.Dataset;
import io.funnel.engine.metrics.FunnelMetrics;
import io.funnel.engine.offline.ServingState;
import io.vertx.core.Future;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.agrona.concurrent.SleepingMillisIdleStrategy;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The applier's durable path against an in-memory log whose durability the test controls. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EventApplierTest {
    private static Dataset data;

    @TempDir
    Path dir;

    @BeforeAll
    static void data() {
        data = IngestFixtures.smallData();
    }

    private static EventApplier durable(final ServingState state, final EventLog log, final AppliedPositionFile file) {
        return new EventApplier(state, new FunnelMetrics(), 64, 50, () -> { }, log, file,
                new SleepingMillisIdleStrategy(1));
    }

    @Test
    void acknowledgesAndAppliesOnlyWhatTheLogHasMadeDurable() throws Exception {
        final ServingState state = IngestFixtures.state(data);
        final IngestFixtures.MemoryEventLog log = new IngestFixtures.MemoryEventLog(0);
        try (EventApplier applier = durable(state, log, new AppliedPositionFile(dir))) {
            assertEquals(0L, applier.started().await(10, TimeUnit.SECONDS));
            final List<Future<Long>> acks = new ArrayList<>();
            for (int b = 0; b < 3; b++) {
                final EventBatch batch = clicks(state, FIRST_TEST_USER, 2, 1_000 + 10 * b);
                acks.add(applier.submitLogged(batch, ordinals(state, batch), null));
            }
            while (log.entries.size() < 3) {
                Thread.sleep(5);
            }
            Thread.sleep(100);
            for (final Future<Long> ack : acks) {
                assertFalse(ack.isComplete(), "acknowledged before the log made it durable");
            }
            assertEquals(0f, weight(state, FIRST_TEST_USER), "applied before the log made it durable");

            // Only the first two records become durable: exactly those two are applied and acknowledged, in order.
            log.durable = log.entries.get(1).position();
            assertEquals(log.entries.get(0).position(), acks.get(0).await(5, TimeUnit.SECONDS));
            assertEquals(log.entries.get(1).position(), acks.get(1).await(5, TimeUnit.SECONDS));
            Thread.sleep(100);
            assertFalse(acks.get(2).isComplete());
            assertEquals(4f, weight(state, FIRST_TEST_USER));
            assertEquals(log.entries.get(1).position(), state.logPosition());

            log.makeDurable();
            assertEquals(log.entries.get(2).position(), acks.get(2).await(5, TimeUnit.SECONDS));
            assertEquals(6f, weight(state, FIRST_TEST_USER));
        }
        // Closing writes the applied high-water mark for the next start's checks.
        assertEquals(log.end(), new AppliedPositionFile(dir).read().position());
    }

    @Test
    void aRefusedAppendFailsTheBatchAndNothingIsApplied() throws Exception {
        final ServingState state = IngestFixtures.state(data);
        final IngestFixtures.MemoryEventLog log = new IngestFixtures.MemoryEventLog(0);
        log.refuse = true;
        try (EventApplier applier = durable(state, log, null)) {
            applier.started().await(10, TimeUnit.SECONDS);
            final EventBatch batch = clicks(state, FIRST_TEST_USER, 3, 1_000);
            final Future<Long> ack = applier.submitLogged(batch, ordinals(state, batch), null);
            final Exception e = assertThrows(Exception.class, () -> ack.await(5, TimeUnit.SECONDS));
            assertTrue(e.getMessage().contains("could not be made durable"), e.getMessage());
            assertEquals(0f, weight(state, FIRST_TEST_USER));
        }
    }

    @Test
    void replaysFromTheStatesPositionOnlyAndThenAppendsAfterTheLogsEnd() throws Exception {
        final ServingState first = IngestFixtures.state(data);
        final IngestFixtures.MemoryEventLog log = new IngestFixtures.MemoryEventLog(0);
        try (EventApplier applier = durable(first, log, null)) {
            applier.started().await(10, TimeUnit.SECONDS);
            log.durable = Long.MAX_VALUE;
            for (int b = 0; b < 4; b++) {
                final EventBatch batch = clicks(first, FIRST_TEST_USER + b, 3, 2_000 + b);
                applier.submitLogged(batch, ordinals(first, batch), null).await(5, TimeUnit.SECONDS);
            }
        }
        // A fresh state (as from the data set) gets the whole log: every batch once.
        final ServingState rebuilt = IngestFixtures.state(data);
        try (EventApplier applier = durable(rebuilt, log, null)) {
            assertEquals(12L, applier.started().await(10, TimeUnit.SECONDS));
        }
        for (int b = 0; b < 4; b++) {
            assertEquals(3f, weight(rebuilt, FIRST_TEST_USER + b));
        }
        assertEquals(log.end(), rebuilt.logPosition());

        // A state that already holds the first two batches gets only the last two.
        final ServingState partial = IngestFixtures.state(data);
        for (int b = 0; b < 2; b++) {
            final EventBatch batch = clicks(partial, FIRST_TEST_USER + b, 3, 2_000 + b);
            new EventApplier(partial, new FunnelMetrics(), 4, 50).apply(batch, ordinals(partial, batch));
        }
        partial.logPosition(log.entries.get(1).position());
        try (EventApplier applier = durable(partial, log, null)) {
            assertEquals(6L, applier.started().await(10, TimeUnit.SECONDS));
        }
        for (int b = 0; b < 4; b++) {
            assertEquals(3f, weight(partial, FIRST_TEST_USER + b), "user " + b + " applied exactly once");
        }
    }

    @Test
    void refusesALogShorterThanWhatWasAppliedOrWrittenForAnotherDataSet() throws Exception {
        final ServingState state = IngestFixtures.state(data);
        final AppliedPositionFile file = new AppliedPositionFile(dir);
        file.write(4_096, state.datasetIdentity());
        try (EventApplier applier = durable(state, new IngestFixtures.MemoryEventLog(0), file)) {
            final Exception e = assertThrows(Exception.class, () -> applier.started().await(10, TimeUnit.SECONDS));
            assertTrue(e.getMessage().contains("acknowledged events were lost"), e.getMessage());
        }
        file.write(0, "another;items=1;interactions=1");
        try (EventApplier applier = durable(state, new IngestFixtures.MemoryEventLog(0), file)) {
            final Exception e = assertThrows(Exception.class, () -> applier.started().await(10, TimeUnit.SECONDS));
            assertTrue(e.getMessage().contains("another data set") || e.getMessage().contains("written on top of"),
                    e.getMessage());
        }
    }

    @Test
    void aDamagedPositionFileIsNamedInTheError() throws Exception {
        java.nio.file.Files.writeString(dir.resolve("applied-position"), "funnel-applied-position 1\nposition=x\n");
        final FunnelException e = assertThrows(FunnelException.class, () -> new AppliedPositionFile(dir).read());
        assertTrue(e.getMessage().contains(dir.resolve("applied-position").toString()), e.getMessage());
        assertTrue(e.getMessage().contains("corrupt"), e.getMessage());
    }
}
