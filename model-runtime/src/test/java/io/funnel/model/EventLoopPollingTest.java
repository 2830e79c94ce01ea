package io.funnel.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.channel.SelectStrategy;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class EventLoopPollingTest {
    @Test
    void strategyPollsOnlyWhileAResultIsDueOrTasksAreQueued() throws Exception {
        final AtomicInteger selectNows = new AtomicInteger();
        final io.netty.util.IntSupplier selectNow = () -> {
            selectNows.incrementAndGet();
            return 3;
        };
        assertEquals(0, EventLoopPolling.outstanding());
        assertEquals(SelectStrategy.SELECT, EventLoopPolling.strategy(selectNow, false), "idle: sleep in epoll_wait");
        assertEquals(3, EventLoopPolling.strategy(selectNow, true), "tasks queued: poll without sleeping");
        EventLoopPolling.begin();
        EventLoopPolling.begin();
        for (int i = 0; i < 2 * EventLoopPolling.YIELD_EVERY; i++) {
            assertEquals(3, EventLoopPolling.strategy(selectNow, false), "a result is due: poll");
        }
        EventLoopPolling.end();
        assertEquals(3, EventLoopPolling.strategy(selectNow, false), "one result still due");
        EventLoopPolling.end();
        EventLoopPolling.end(); // an extra end never takes the count below zero
        assertEquals(0, EventLoopPolling.outstanding());
        assertEquals(SelectStrategy.SELECT, EventLoopPolling.strategy(selectNow, false));
        assertEquals(2 + 2 * EventLoopPolling.YIELD_EVERY, selectNows.get());
    }

    @Test
    void batcherCountsRequestsFromAnEventLoopUntilTheirResultsArriveThere() throws Exception {
        final RecordingScorer scorer = new RecordingScorer(true);
        final Vertx vertx = Vertx.vertx();
        try (MicroBatcher batcher = MicroBatcher.builder(scorer).build()) {
            final Context loop = vertx.getOrCreateContext();
            final CompletableFuture<Integer> whileDue = new CompletableFuture<>();
            final CompletableFuture<Integer> afterResult = new CompletableFuture<>();
            final CompletableFuture<float[]> scores = new CompletableFuture<>();
            loop.runOnContext(v -> {
                batcher.submit(RecordingScorer.block(2, 5), 2).onComplete(ar -> {
                    afterResult.complete(EventLoopPolling.outstanding());
                    scores.complete(ar.result());
                });
                whileDue.complete(EventLoopPolling.outstanding());
            });
            assertEquals(1, whileDue.get(10, TimeUnit.SECONDS), "the submitting loop waits for one result");
            scorer.release.countDown();
            assertEquals(0, afterResult.get(10, TimeUnit.SECONDS), "back to zero when the result is handled");
            assertArrayEquals(RecordingScorer.expected(2, 5), scores.get(10, TimeUnit.SECONDS));
            // A plain thread (no event loop) is never counted: nothing would poll for it.
            assertArrayEquals(RecordingScorer.expected(1, 0), batcher.submit(RecordingScorer.block(1, 0), 1)
                    .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS));
            assertEquals(0, EventLoopPolling.outstanding());
        } finally {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void pollingTransportServesHttpWhileLoopsWaitForTheBatcher() throws Exception {
        assumeTrue(EventLoopPolling.available(), "needs Netty's native epoll transport (Linux)");
        final RecordingScorer scorer = new RecordingScorer(false);
        final Vertx vertx = Vertx.builder().with(new VertxOptions().setEventLoopPoolSize(2))
                .withTransport(EventLoopPolling.transport()).build();
        try (MicroBatcher batcher = MicroBatcher.builder(scorer).spinMicros(1_000).build()) {
            assertEquals("epoll-busy-poll", EventLoopPolling.transport().name());
            assertTrue(vertx.isNativeTransportEnabled());
            // Each request ranks one row on the batcher and answers with the score, as the engine's rank stage.
            final HttpServer server = vertx.createHttpServer().requestHandler(req -> {
                final int base = Integer.parseInt(req.getParam("base"));
                batcher.submit(RecordingScorer.block(1, base), 1).onComplete(ar -> req.response()
                        .end(ar.succeeded() ? Float.toString(ar.result()[0]) : "failed: " + ar.cause()));
            }).listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
            final var client = vertx.createHttpClient();
            for (int i = 0; i < 50; i++) {
                final int base = i;
                final String body = client.request(HttpMethod.GET, server.actualPort(), "127.0.0.1", "/?base=" + i)
                        .compose(r -> r.send().compose(HttpClientResponse::body)).map(Buffer::toString)
                        .await(10, TimeUnit.SECONDS);
                assertEquals(Float.toString(base), body, "request " + i);
            }
            assertEquals(50, batcher.requestsScored());
            // Nothing is due on any loop any more (new contexts are spread round-robin over both loops).
            for (int i = 0; i < 4; i++) {
                final CompletableFuture<Integer> due = new CompletableFuture<>();
                vertx.getOrCreateContext().runOnContext(v -> due.complete(EventLoopPolling.outstanding()));
                assertEquals(0, due.get(10, TimeUnit.SECONDS), "loop of context " + i);
            }
            client.close().await(10, TimeUnit.SECONDS);
        } finally {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
    }
}
