package io.funnel.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(VertxExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MicroBatcherTest {

    static float[] await(final Future<float[]> f) throws Exception {
        return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    static Throwable failure(final Future<float[]> f) throws Exception {
        try {
            f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return e.getCause();
        }
        throw new AssertionError("expected a failed future");
    }

    @Test
    void requestsQueuedDuringACallBecomeOneCall() throws Exception {
        final RecordingScorer scorer = new RecordingScorer(true);
        try (MicroBatcher batcher = MicroBatcher.builder(scorer).maxBatch(1000).build()) {
            final Future<float[]> first = batcher.submit(RecordingScorer.block(2, 0), 2);
            assertTrue(scorer.entered.await(10, TimeUnit.SECONDS));
            final List<Future<float[]>> queued = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                queued.add(batcher.submit(RecordingScorer.block(5 + i, 100 * i), 5 + i));
            }
            assertEquals(4, batcher.queueDepth());
            scorer.release.countDown();
            assertArrayEquals(RecordingScorer.expected(2, 0), await(first));
            for (int i = 0; i < 4; i++) {
                assertArrayEquals(RecordingScorer.expected(5 + i, 100 * i), await(queued.get(i)), "request " + i);
            }
            assertEquals(List.of(2, 5 + 6 + 7 + 8), scorer.calls);
            assertEquals(2, batcher.batches());
            assertEquals(5, batcher.requestsScored());
            assertEquals(28, batcher.rowsScored());
        }
    }

    @Test
    void concurrentSubmitsFillOneBatchWithinMaxDelay() throws Exception {
        final RecordingScorer scorer = new RecordingScorer(false);
        // A long delay and a maxBatch of exactly the four requests: the batch flushes because it is full.
        try (MicroBatcher batcher = MicroBatcher.builder(scorer).maxBatch(40).maxDelayMicros(1_000_000).build()) {
            final List<Future<float[]>> futures = new java.util.concurrent.CopyOnWriteArrayList<>();
            final List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                final int base = 1000 * t;
                threads.add(Thread.ofPlatform().start(() -> futures.add(
                        batcher.submit(RecordingScorer.block(10, base), 10))));
            }
            for (final Thread t : threads) {
                t.join();
            }
            for (final Future<float[]> f : futures) {
                assertEquals(20, await(f).length);
            }
            assertEquals(List.of(40), scorer.calls);
        }
    }

    @Test
    void maxDelayFlushesAnUnderfullBatch() throws Exception {
        final RecordingScorer scorer = new RecordingScorer(false);
        try (MicroBatcher batcher = MicroBatcher.builder(scorer).maxBatch(1000).maxDelayMicros(20_000).build()) {
            assertArrayEquals(RecordingScorer.expected(3, 7), await(batcher.submit(RecordingScorer.block(3, 7), 3)));
            assertEquals(List.of(3), scorer.calls);
        }
    }

    @Test
    void fullQueueFailsFastWithStatusAndQueuedRequestsStillComplete() throws Exception {
        final RecordingScorer scorer = new RecordingScorer(true);
        try (MicroBatcher batcher = MicroBatcher.builder(scorer).queueCapacity(2).build()) {
            final Future<float[]> running = batcher.submit(RecordingScorer.block(1, 0), 1);
            assertTrue(scorer.entered.await(10, TimeUnit.SECONDS));
            final Future<float[]> a = batcher.submit(RecordingScorer.block(1, 1), 1);
            final Future<float[]> b = batcher.submit(RecordingScorer.block(1, 2), 1);
            final List<Future<float[]>> rejected = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                rejected.add(batcher.submit(RecordingScorer.block(1, 3), 1));
            }
            for (final Future<float[]> f : rejected) {
                assertTrue(f.failed(), "rejected synchronously, on the caller's thread");
                assertSame(BatchRejectedException.QUEUE_FULL, f.cause());
                assertEquals(BatchRejectedException.Reason.QUEUE_FULL, BatchRejectedException.reasonOf(f.cause()));
            }
            assertEquals(100, batcher.rejectedQueueFull());
            scorer.release.countDown();
            await(running);
            assertArrayEquals(RecordingScorer.expected(1, 1), await(a));
            assertArrayEquals(RecordingScorer.expected(1, 2), await(b));
        }
    }

    @Test
    void missedDeadlineIsSkippedAndFailedWithItsReason() throws Exception {
        final RecordingScorer scorer = new RecordingScorer(true);
        try (MicroBatcher batcher = MicroBatcher.builder(scorer).build()) {
            final Future<float[]> running = batcher.submit(RecordingScorer.block(1, 0), 1);
            assertTrue(scorer.entered.await(10, TimeUnit.SECONDS));
            final Future<float[]> late = batcher.submit(RecordingScorer.block(4, 0), 4,
                    System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1));
            final Future<float[]> onTime = batcher.submit(RecordingScorer.block(2, 9), 2, MicroBatcher.NO_DEADLINE);
            Thread.sleep(20); // the late request's deadline passes while the scorer is busy
            scorer.release.countDown();
            await(running);
            assertSame(BatchRejectedException.DEADLINE_EXCEEDED, failure(late));
            assertArrayEquals(RecordingScorer.expected(2, 9), await(onTime));
            assertEquals(List.of(1, 2), scorer.calls, "the late request's rows were never scored");
            assertEquals(1, batcher.rejectedDeadline());

            final Future<float[]> alreadyLate = batcher.submit(RecordingScorer.block(1, 0), 1, System.nanoTime() - 1);
            assertTrue(alreadyLate.failed());
            assertSame(BatchRejectedException.DEADLINE_EXCEEDED, alreadyLate.cause());
        }
    }

    @Test
    void completesOnTheCallersVertxContext(final Vertx vertx, final VertxTestContext test) {
        final RecordingScorer scorer = new RecordingScorer(false);
        final MicroBatcher batcher = MicroBatcher.builder(scorer).build();
        final Context context = vertx.getOrCreateContext();
        context.runOnContext(v -> batcher.submit(RecordingScorer.block(3, 1), 3)
                .onComplete(test.succeeding(scores -> test.verify(() -> {
                    assertSame(context, Vertx.currentContext(), "completed on the submitting context");
                    assertTrue(Context.isOnEventLoopThread());
                    assertArrayEquals(RecordingScorer.expected(3, 1), scores);
                    batcher.close();
                    test.completeNow();
                }))));
    }

    @Test
    void scorerFailureFailsTheBatchAndTheBatcherKeepsServing() throws Exception {
        final RecordingScorer scorer = new RecordingScorer(false);
        try (MicroBatcher batcher = MicroBatcher.builder(scorer).build()) {
            scorer.failWith = new ModelException("boom");
            final Throwable cause = failure(batcher.submit(RecordingScorer.block(1, 0), 1));
            assertEquals("boom", cause.getMessage());
            assertEquals(null, BatchRejectedException.reasonOf(cause), "an unexpected failure, not a rejection");
            assertEquals(1, batcher.failedScorer());
            scorer.failWith = null;
            assertArrayEquals(RecordingScorer.expected(2, 5), await(batcher.submit(RecordingScorer.block(2, 5), 2)));
        }
    }

    @Test
    void badRequestsAndClosedBatcherFailWithoutScoring() throws Exception {
        final RecordingScorer scorer = new RecordingScorer(false);
        final MicroBatcher batcher = MicroBatcher.builder(scorer).build();
        assertTrue(batcher.submit(new float[2], 1).cause() instanceof IllegalArgumentException);
        assertTrue(batcher.submit(new float[3], 0).cause() instanceof IllegalArgumentException);
        batcher.close();
        assertSame(BatchRejectedException.CLOSED, batcher.submit(new float[3], 1).cause());
        assertEquals(List.of(), scorer.calls);
    }

    @Test
    void callerProvidedOutputArrayIsFilled() throws Exception {
        final RecordingScorer scorer = new RecordingScorer(false);
        try (MicroBatcher batcher = MicroBatcher.builder(scorer).replicas(2).build()) {
            final float[] out = new float[8];
            assertSame(out, await(batcher.submit(RecordingScorer.block(4, 2), 4, MicroBatcher.NO_DEADLINE, out)));
            assertArrayEquals(RecordingScorer.expected(4, 2), out);
        }
    }

    @Test
    void idleThreadSpinsWhileRequestsArriveOftenAndTakesThemWithoutParking() throws Exception {
        final RecordingScorer scorer = new RecordingScorer(false);
        // A spin far longer than the 2 ms gap between these requests. The gap matters: with back-to-back requests
        // the woken test thread can preempt the batcher thread and enqueue the next request before the batcher
        // polls again (seen in CI), so the batcher never finds its queue empty and never spins.
        try (MicroBatcher batcher = MicroBatcher.builder(scorer).spinMicros(500_000).build()) {
            for (int i = 0; i < 20; i++) {
                final Future<float[]> scores = batcher.submit(RecordingScorer.block(2, i), 2);
                assertArrayEquals(RecordingScorer.expected(2, i), await(scores));
                Thread.sleep(2);
            }
            assertTrue(batcher.spins() > 0, "spun between back-to-back requests");
            assertTrue(batcher.spinHits() > 0, "a request arrived during a spin");
            assertTrue(batcher.spinHits() <= batcher.spins());
            assertEquals(20, batcher.requestsScored());
        }
    }

    @Test
    void idleThreadParksAtOnceWhenRequestsArriveLessOftenThanTheSpin() throws Exception {
        final RecordingScorer scorer = new RecordingScorer(false);
        try (MicroBatcher batcher = MicroBatcher.builder(scorer).spinMicros(1_000).build()) {
            for (int i = 0; i < 5; i++) {
                final Future<float[]> scores = batcher.submit(RecordingScorer.block(1, i), 1);
                assertArrayEquals(RecordingScorer.expected(1, i), await(scores));
                Thread.sleep(20); // 20 ms between requests, far above the 1 ms spin
            }
            assertEquals(0, batcher.spins(), "never spun: the mean gap is above spinMicros");
        }
        try (MicroBatcher batcher = MicroBatcher.builder(scorer).build()) {
            for (int i = 0; i < 5; i++) {
                await(batcher.submit(RecordingScorer.block(1, i), 1));
            }
            assertEquals(0, batcher.spins(), "spinMicros 0 never spins");
        }
    }

    @Test
    void closeEndsASpinPromptly() throws Exception {
        final RecordingScorer scorer = new RecordingScorer(false);
        final MicroBatcher batcher = MicroBatcher.builder(scorer).spinMicros(1_000_000).build();
        for (int i = 0; i < 5; i++) {
            await(batcher.submit(RecordingScorer.block(1, i), 1));
        }
        final long start = System.nanoTime();
        batcher.close();
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5), "close waited for a 1 s spin at most");
        assertSame(BatchRejectedException.CLOSED, batcher.submit(RecordingScorer.block(1, 0), 1).cause());
    }

    @Test
    void spinMicrosIsValidated() {
        final RecordingScorer scorer = new RecordingScorer(false);
        final IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(
                IllegalArgumentException.class, () -> MicroBatcher.builder(scorer).spinMicros(-1));
        assertEquals("spinMicros must be 0..1000000, got -1", e.getMessage());
    }
}
