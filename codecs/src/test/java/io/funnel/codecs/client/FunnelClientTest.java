package io.funnel.codecs.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.funnel.codecs.EventBatch;
import io.funnel.codecs.EventType;
import io.funnel.codecs.RecommendRequest;
import io.funnel.codecs.RecommendResponse;
import io.funnel.codecs.binary.Ack;
import io.funnel.codecs.binary.BinaryCodec;
import io.funnel.codecs.binary.FrameReader;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.agrona.ExpandableArrayBuffer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link FunnelClient} against a scripted server on a free loopback port. The request's user id tells the server what
 * to do: 1..99 answer at once, {@value #LATE} answer after 400 ms, {@value #CLOSE} close the connection,
 * {@value #ERROR} answer an Error, 100..109 hold until all ten arrived and answer them in reverse order.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FunnelClientTest {
    private static final long LATE = 200;
    private static final long CLOSE = 300;
    private static final long ERROR = 400;
    private static Vertx vertx;
    private static NetServer server;
    private static final Set<NetSocket> servedBy = ConcurrentHashMap.newKeySet();

    @BeforeAll
    static void start() throws Exception {
        vertx = Vertx.vertx();
        server = vertx.createNetServer().connectHandler(FunnelClientTest::serve).listen(0, "127.0.0.1")
                .await(10, TimeUnit.SECONDS);
    }

    @AfterAll
    static void stop() throws Exception {
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    /** The scripted server: one reader and codec per connection, on its event loop. */
    private static void serve(final NetSocket socket) {
        final FrameReader reader = new FrameReader(1 << 20);
        final BinaryCodec codec = new BinaryCodec();
        final ExpandableArrayBuffer out = new ExpandableArrayBuffer();
        final List<long[]> held = new ArrayList<>();
        socket.handler(chunk -> reader.onData(chunk, (buffer, offset, length) -> {
            final int template = codec.wrapFrame(buffer, offset, length);
            final long id = codec.correlationId();
            if (template == BinaryCodec.EVENT_BATCH) {
                final EventBatch batch = codec.decodeEvents(0, new EventBatch());
                socket.write(frame(out, codec.encodeAck(id, batch.count(), 7, out, 0)));
                return true;
            }
            final long user = codec.decodeRecommend(new RecommendRequest()).userId();
            servedBy.add(socket);
            if (user == LATE) {
                vertx.setTimer(400, t -> socket.write(answer(codec, out, id, user)));
            } else if (user == CLOSE) {
                socket.close();
                return false;
            } else if (user == ERROR) {
                socket.write(frame(out, codec.encodeError(id, 400, "count", "count must be 1..500, got 0", out, 0)));
            } else if (user >= 100 && user < 110) {
                held.add(new long[] {id, user});
                if (held.size() == 10) {
                    for (int i = held.size() - 1; i >= 0; i--) {
                        socket.write(answer(codec, out, held.get(i)[0], held.get(i)[1]));
                    }
                    held.clear();
                }
            } else {
                socket.write(answer(codec, out, id, user));
            }
            return true;
        }));
    }

    private static Buffer answer(final BinaryCodec codec, final ExpandableArrayBuffer out, final long id,
            final long user) {
        final RecommendResponse r = new RecommendResponse().userId(user).channelNames(new String[] {"popular"});
        r.addItem(user * 10, 1f, 1, 0f, 0f, false);
        return frame(out, codec.encodeResponse(id, r, out, 0));
    }

    private static Buffer frame(final ExpandableArrayBuffer out, final int length) {
        return Buffer.buffer(length).appendBytes(out.byteArray(), 0, length);
    }

    private static FunnelClient client(final int connections, final Duration timeout) throws Exception {
        return FunnelClient.builder().port(server.actualPort()).connections(connections).timeout(timeout)
                .connect().get(10, TimeUnit.SECONDS);
    }

    @Test
    void answersOutOfOrderAreMatchedByCorrelationId() throws Exception {
        try (FunnelClient client = client(1, Duration.ofSeconds(10))) {
            final List<CompletableFuture<RecommendResponse>> answers = new ArrayList<>();
            for (int user = 100; user < 110; user++) {
                answers.add(client.recommend(new RecommendRequest().userId(user)));
            }
            for (int i = 0; i < answers.size(); i++) {
                final RecommendResponse r = answers.get(i).get(10, TimeUnit.SECONDS);
                assertEquals(100 + i, r.userId());
                assertEquals((100 + i) * 10L, r.itemId(0));
            }
        }
    }

    @Test
    void aTimeoutFailsTheRequestAndTheLateAnswerIsDropped() throws Exception {
        try (FunnelClient client = client(1, Duration.ofMillis(100))) {
            final long start = System.nanoTime();
            final ExecutionException e = assertThrows(ExecutionException.class,
                    () -> client.recommend(new RecommendRequest().userId(LATE)).get(10, TimeUnit.SECONDS));
            final long elapsedMs = (System.nanoTime() - start) / 1_000_000;
            final TimeoutException timeout = assertInstanceOf(TimeoutException.class, e.getCause());
            assertTrue(timeout.getMessage().contains("within 100 ms"), timeout.getMessage());
            assertTrue(elapsedMs >= 90 && elapsedMs < 2_000, "failed after " + elapsedMs + " ms");
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (client.droppedAnswers() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(1, client.droppedAnswers(), "the answer that came after the timeout was dropped");
            assertEquals(7, client.recommend(new RecommendRequest().userId(7)).get(10, TimeUnit.SECONDS).userId(),
                    "the connection still serves");
        }
    }

    @Test
    void aClosedConnectionFailsItsRequestsAndIsReopened() throws Exception {
        try (FunnelClient client = client(1, Duration.ofSeconds(10))) {
            final ExecutionException e = assertThrows(ExecutionException.class,
                    () -> client.recommend(new RecommendRequest().userId(CLOSE)).get(10, TimeUnit.SECONDS));
            assertInstanceOf(IOException.class, e.getCause());
            assertTrue(e.getCause().getMessage().contains("closed"), e.getCause().getMessage());
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (client.openConnections() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(1, client.openConnections(), "reconnected");
            assertEquals(8, client.recommend(new RecommendRequest().userId(8)).get(10, TimeUnit.SECONDS).userId());
        }
    }

    @Test
    void requestsGoRoundRobinOverThePool() throws Exception {
        servedBy.clear();
        try (FunnelClient client = client(3, Duration.ofSeconds(10))) {
            assertEquals(3, client.openConnections());
            final List<CompletableFuture<RecommendResponse>> answers = new ArrayList<>();
            for (int i = 0; i < 9; i++) {
                answers.add(client.recommend(new RecommendRequest().userId(1 + i)));
            }
            for (final CompletableFuture<RecommendResponse> a : answers) {
                a.get(10, TimeUnit.SECONDS);
            }
            assertEquals(3, servedBy.size(), "every connection carried requests");
        }
    }

    @Test
    void errorsAndAcksArriveAsSuch() throws Exception {
        try (FunnelClient client = client(1, Duration.ofSeconds(10))) {
            final ExecutionException e = assertThrows(ExecutionException.class,
                    () -> client.recommend(new RecommendRequest().userId(ERROR)).get(10, TimeUnit.SECONDS));
            final ErrorReplyException error = assertInstanceOf(ErrorReplyException.class, e.getCause());
            assertEquals(400, error.status());
            assertEquals("count", error.field());
            final Ack ack = client.send(new EventBatch().add(1, 2, EventType.CLICK, 0).add(1, 3, EventType.VIEW, 0))
                    .get(10, TimeUnit.SECONDS);
            assertEquals(new Ack(2, 7), ack);
        }
    }

    @Test
    void closingFailsOutstandingRequestsAndLaterOnes() throws Exception {
        final FunnelClient client = client(1, Duration.ofSeconds(30));
        final CompletableFuture<RecommendResponse> outstanding = client.recommend(new RecommendRequest().userId(LATE));
        client.close();
        final ExecutionException e = assertThrows(ExecutionException.class, () -> outstanding.get(10,
                TimeUnit.SECONDS));
        assertInstanceOf(IOException.class, e.getCause());
        final ExecutionException after = assertThrows(ExecutionException.class,
                () -> client.recommend(new RecommendRequest().userId(1)).get(10, TimeUnit.SECONDS));
        assertTrue(after.getCause().getMessage().contains("is closed"), after.getCause().getMessage());
    }

    @Test
    void connectingToNothingFailsClearly() throws Exception {
        final int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        final ExecutionException e = assertThrows(ExecutionException.class, () -> FunnelClient.builder().port(port)
                .connect().get(10, TimeUnit.SECONDS));
        assertTrue(e.getCause().getMessage().contains("cannot connect to 127.0.0.1:" + port),
                e.getCause().getMessage());
        assertThrows(IllegalArgumentException.class, () -> FunnelClient.builder().connections(0).connect());
        assertThrows(IllegalArgumentException.class, () -> FunnelClient.builder().timeout(Duration.ZERO).connect());
    }
}
