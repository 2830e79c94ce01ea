package io.funnel.engine.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.funnel.codecs.EventBatch;
import io.funnel.codecs.EventType;
import io.funnel.codecs.RecommendRequest;
import io.funnel.codecs.RecommendResponse;
import io.funnel.codecs.binary.Ack;
import io.funnel.codecs.binary.BinaryCodec;
import io.funnel.codecs.binary.ErrorReply;
import io.funnel.codecs.client.ErrorReplyException;
import io.funnel.codecs.client.FunnelClient;
import io.funnel.engine.config.FunnelConfig;
import io.funnel.engine.data.Dataset;
import io.funnel.engine.offline.Channels;
import io.funnel.engine.offline.ServingState;
import io.funnel.engine.retrieval.Channel;
import io.vertx.core.Vertx;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The binary endpoint of a real server on free loopback ports over a small generated catalog: pipelining through
 * {@link FunnelClient}, events, field errors, and bad frames sent byte by byte over a plain socket. Bounded: a few
 * thousand requests in all; the servers stop at the end.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class BinaryApiIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static Vertx vertx;
    private static Dataset data;
    private static ServingState state;
    private static FunnelServer server;
    private static FunnelClient client;

    private static ServerFixtures.Running running;

    @BeforeAll
    static void start() throws Exception {
        running = ServerFixtures.Running.start();
        data = running.data();
        state = running.state();
        vertx = running.vertx();
        server = running.server();
        client = FunnelClient.builder().port(server.binaryPort()).connections(2).timeout(Duration.ofSeconds(30))
                .connect().get(10, TimeUnit.SECONDS);
    }

    private static FunnelConfig config() {
        return ServerFixtures.config();
    }

    @AfterAll
    static void stop() throws Exception {
        if (client != null) {
            client.close();
        }
        if (running != null) {
            running.close();
        }
    }

    @Test
    void aThousandRequestsPipelinedOnOneConnectionAreEachAnswered() throws Exception {
        final long before = server.metrics().requestsByTransport().getOrDefault("binary", 0L);
        try (FunnelClient one = FunnelClient.builder().port(server.binaryPort()).connections(1)
                .timeout(Duration.ofSeconds(60)).connect().get(10, TimeUnit.SECONDS)) {
            final List<CompletableFuture<RecommendResponse>> answers = new ArrayList<>();
            final RecommendRequest request = new RecommendRequest();
            for (int i = 0; i < 1_000; i++) {
                // One reused request object: the client encodes before returning.
                answers.add(one.recommend(request.clear().userId(1 + i % 1_500).count(1 + i % 20)));
            }
            CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
            for (int i = 0; i < answers.size(); i++) {
                final RecommendResponse r = answers.get(i).get();
                assertEquals(1 + i % 1_500, r.userId(), "answer " + i + " matched by correlation id");
                // The re-rank policy's window rules may leave a short list short by a slot; never longer.
                assertTrue(r.count() >= 1 && r.count() <= 1 + i % 20, "answer " + i + " has " + r.count()
                        + " items for a count of " + (1 + i % 20));
            }
            assertEquals(0, one.droppedAnswers());
        }
        final long after = server.metrics().requestsByTransport().get("binary");
        assertTrue(after - before >= 1_000, "counted under transport=binary: " + (after - before));
    }

    @Test
    void theBinaryAnswerIsTheHttpAnswer() throws Exception {
        final long user = 17;
        final HttpResponse<String> http = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + server.port() + "/v1/recommend"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"userId\": " + user
                        + ", \"count\": 8, \"policy\": \"relevance\", \"explain\": true}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, http.statusCode(), http.body());
        final JsonNode json = JSON.readTree(http.body());
        final RecommendResponse binary = client.recommend(new RecommendRequest().userId(user).count(8)
                .policy("relevance").explain(true)).get(30, TimeUnit.SECONDS);
        assertEquals(json.get("items").size(), binary.count());
        for (int i = 0; i < binary.count(); i++) {
            final JsonNode item = json.get("items").get(i);
            assertEquals(item.get("itemId").asLong(), binary.itemId(i), "item " + i);
            final List<String> channels = new ArrayList<>();
            for (int c = 0; c < binary.channelNames().length; c++) {
                if ((binary.channelMask(i) & (1 << c)) != 0) {
                    channels.add(binary.channelNames()[c]);
                }
            }
            final List<String> jsonChannels = new ArrayList<>();
            item.get("channels").forEach(c -> jsonChannels.add(c.asText()));
            assertEquals(jsonChannels, channels, "item " + i + " attribution");
        }
        assertEquals("relevance", binary.policy());
        assertEquals(json.get("modelVersion").asText(), binary.modelVersion());
        assertTrue(binary.explain());
        assertTrue(binary.stageCount() > 0, "explain carries stage times");
    }

    @Test
    void eventsAreAcknowledgedAndUnknownItemsNamed() throws Exception {
        final Ack ack = client.send(new EventBatch().add(3, data.itemId(0), EventType.CLICK, 0)
                .add(3, data.itemId(1), EventType.VIEW, 1_763_855_000_000L)).get(30, TimeUnit.SECONDS);
        assertEquals(2, ack.accepted());
        final ExecutionException unknown = assertThrows(ExecutionException.class, () -> client.send(new EventBatch()
                .add(3, data.itemId(0), EventType.CLICK, 0).add(3, 987_654_321L, EventType.CLICK, 0))
                .get(30, TimeUnit.SECONDS));
        final ErrorReplyException e = assertInstanceOf(ErrorReplyException.class, unknown.getCause());
        assertEquals(422, e.status());
        assertEquals("events[1].itemId", e.field());
        assertTrue(e.reply().message().contains("not in the catalog"), e.getMessage());
    }

    @Test
    void badFieldValuesGetAnErrorNamingTheFieldAndTheConnectionStaysOpen() throws Exception {
        assertField(new RecommendRequest().userId(1).count(0), 400, "count", "1..500");
        assertField(new RecommendRequest().userId(1).count(501), 400, "count", "1..500");
        assertField(new RecommendRequest().userId(1).policy("shiny"), 400, "policy", "known policies are");
        final RecommendRequest excludes = new RecommendRequest().userId(1);
        for (int i = 0; i <= RecommendRequest.MAX_EXCLUDE; i++) {
            excludes.addExclude(i);
        }
        assertField(excludes, 400, "context.exclude", "at most 1000");
        // Same socket, byte by byte: the error, then the next request is answered.
        try (RawConnection raw = new RawConnection(server.binaryPort())) {
            raw.send(frame(c -> c.encodeRecommend(31, new RecommendRequest().userId(1).count(0), c.out, 0)));
            raw.send(frame(c -> c.encodeRecommend(32, new RecommendRequest().userId(1), c.out, 0)));
            final ErrorReply error = raw.readError(31);
            assertEquals("count", error.field());
            assertEquals(32, raw.readResponse().correlationId());
        }
        assertTrue(server.metrics().stats().errors().getOrDefault("bad_request", 0L) >= 5);
    }

    private static void assertField(final RecommendRequest request, final int status, final String field,
            final String text) throws Exception {
        final ExecutionException failed = assertThrows(ExecutionException.class,
                () -> client.recommend(request).get(30, TimeUnit.SECONDS));
        final ErrorReplyException e = assertInstanceOf(ErrorReplyException.class, failed.getCause());
        assertEquals(status, e.status(), e.getMessage());
        assertEquals(field, e.field(), e.getMessage());
        assertTrue(e.reply().message().contains(text), e.getMessage());
    }

    @Test
    void badFramesGetAnErrorOrACleanCloseAndTheServerKeepsServing() throws Exception {
        final int port = server.binaryPort();
        // Oversize length: Error (correlation id 0), then the server closes.
        try (RawConnection raw = new RawConnection(port)) {
            raw.send(le(Integer.MAX_VALUE));
            final ErrorReply e = raw.readError(0);
            assertEquals(413, e.status());
            assertEquals("frame.length", e.field());
            raw.assertClosedByServer();
        }
        // A length shorter than a message header.
        try (RawConnection raw = new RawConnection(port)) {
            raw.send(le(3));
            assertEquals("frame.length", raw.readError(0).field());
            raw.assertClosedByServer();
        }
        // A header of another schema: not our protocol.
        try (RawConnection raw = new RawConnection(port)) {
            final byte[] frame = frame(c -> c.encodeRecommend(5, new RecommendRequest().userId(1), c.out, 0));
            ByteBuffer.wrap(frame).order(ByteOrder.LITTLE_ENDIAN).putShort(4 + 4, (short) 1234);
            raw.send(frame);
            assertEquals("header.schemaId", raw.readError(0).field());
            raw.assertClosedByServer();
        }
        // Garbage.
        try (RawConnection raw = new RawConnection(port)) {
            final byte[] garbage = new byte[64];
            new SplittableRandom(11).nextBytes(garbage);
            garbage[3] = 0x55; // a length prefix far above 64 KiB
            raw.send(garbage);
            assertEquals(413, raw.readError(0).status());
            raw.assertClosedByServer();
        }
        // An unsupported version and an unknown or one-way template: Error with the correlation id, stays open.
        try (RawConnection raw = new RawConnection(port)) {
            final byte[] old = frame(c -> c.encodeRecommend(77, new RecommendRequest().userId(1), c.out, 0));
            ByteBuffer.wrap(old).order(ByteOrder.LITTLE_ENDIAN).putShort(4 + 6, (short) 0);
            raw.send(old);
            final ErrorReply version = raw.readError(77);
            assertEquals(505, version.status());
            assertEquals("header.version", version.field());
            final byte[] unknown = frame(c -> c.encodeRecommend(78, new RecommendRequest().userId(1), c.out, 0));
            ByteBuffer.wrap(unknown).order(ByteOrder.LITTLE_ENDIAN).putShort(4 + 2, (short) 9);
            raw.send(unknown);
            assertEquals("header.templateId", raw.readError(78).field());
            raw.send(frame(c -> c.encodeAck(79, 1, 1, c.out, 0)));
            assertTrue(raw.readError(79).message().contains("got Ack (4)"));
            final byte[] truncated = frame(c -> c.encodeRecommend(80, new RecommendRequest().userId(1)
                    .addExclude(1).addExclude(2), c.out, 0));
            ByteBuffer.wrap(truncated).order(ByteOrder.LITTLE_ENDIAN).putInt(0, truncated.length - 4 - 9);
            raw.send(java.util.Arrays.copyOf(truncated, truncated.length - 9));
            assertEquals(400, raw.readError(80).status());
            raw.send(frame(c -> c.encodeRecommend(81, new RecommendRequest().userId(1), c.out, 0)));
            assertEquals(81, raw.readResponse().correlationId());
        }
        // A frame cut short by a close: counted only.
        try (RawConnection raw = new RawConnection(port)) {
            final byte[] frame = frame(c -> c.encodeRecommend(90, new RecommendRequest().userId(1), c.out, 0));
            raw.send(java.util.Arrays.copyOf(frame, frame.length / 2));
        }
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        Map<String, Long> errors = server.metrics().stats().errors();
        while (errors.getOrDefault("binary_truncated_frame", 0L) == 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
            errors = server.metrics().stats().errors();
        }
        for (final String kind : List.of("binary_oversize_frame", "binary_bad_length", "binary_wrong_schema",
                "binary_unsupported_version", "binary_unknown_template", "binary_malformed",
                "binary_truncated_frame")) {
            assertTrue(errors.getOrDefault(kind, 0L) >= 1, kind + " counted: " + errors);
        }
        // Still serving, on a new connection and on the pooled client.
        try (RawConnection raw = new RawConnection(port)) {
            raw.send(frame(c -> c.encodeRecommend(1, new RecommendRequest().userId(2), c.out, 0)));
            assertEquals(1, raw.readResponse().correlationId());
        }
        assertEquals(10, client.recommend(new RecommendRequest().userId(3)).get(30, TimeUnit.SECONDS).count());
    }

    @Test
    void inFlightLimitAnswersOverloadedAndBudgetMicrosTightensTheDeadline() throws Exception {
        final FunnelConfig config = config();
        config.server.maxInFlight = 1;
        config.budgets.put("total", "1s");
        config.budgets.put("retrieve", "1s");
        config.validate("test");
        final List<Channel> channels = new ArrayList<>(Channels.create(state, config, true));
        channels.add(new ServerFixtures.SlowChannel());
        final FunnelServer limited = FunnelServer.builder(config, state).channels(channels).start(vertx)
                .await(30, TimeUnit.SECONDS);
        try (FunnelClient c = FunnelClient.builder().port(limited.binaryPort()).timeout(Duration.ofSeconds(30))
                .connect().get(10, TimeUnit.SECONDS)) {
            final CompletableFuture<RecommendResponse> first = c.recommend(new RecommendRequest().userId(1));
            ServerFixtures.awaitInFlight(limited, 1); // the first request is now waiting on the slow channel
            final ExecutionException second = assertThrows(ExecutionException.class,
                    () -> c.recommend(new RecommendRequest().userId(2)).get(30, TimeUnit.SECONDS));
            final ErrorReplyException overloaded = assertInstanceOf(ErrorReplyException.class, second.getCause());
            assertEquals(503, overloaded.status());
            assertTrue(overloaded.getMessage().contains("in flight"), overloaded.getMessage());
            assertTrue(first.get(30, TimeUnit.SECONDS).degraded().contains("retrieve.slow"));

            final long start = System.nanoTime();
            final RecommendResponse tight = c.recommend(new RecommendRequest().userId(3).budgetMicros(60_000))
                    .get(30, TimeUnit.SECONDS);
            final long elapsedMs = (System.nanoTime() - start) / 1_000_000;
            assertTrue(tight.degraded().contains("retrieve.slow"), "degraded: " + tight.degraded());
            assertTrue(tight.tookMicros() < 500_000, "a 60 ms deadline, not the configured 1 s: "
                    + tight.tookMicros() + " us");
            assertTrue(elapsedMs < 900, "answered before the configured 1 s budget: " + elapsedMs + " ms");
        } finally {
            limited.close().await(10, TimeUnit.SECONDS);
        }
    }

    // ------------------------------------------------------------------------------------------------ helpers

    /** Codec plus scratch for building frames in tests. */
    private static final class Frames {
        final BinaryCodec codec = new BinaryCodec();
        final ExpandableArrayBuffer out = new ExpandableArrayBuffer();

        int encodeRecommend(final long id, final RecommendRequest r, final ExpandableArrayBuffer b, final int at) {
            return codec.encodeRecommend(id, r, b, at);
        }

        int encodeAck(final long id, final int n, final long pos, final ExpandableArrayBuffer b, final int at) {
            return codec.encodeAck(id, n, pos, b, at);
        }
    }

    private interface Encoding {
        int write(Frames frames);
    }

    private static byte[] frame(final Encoding encoding) {
        final Frames f = new Frames();
        final int n = encoding.write(f);
        final byte[] bytes = new byte[n];
        f.out.getBytes(0, bytes);
        return bytes;
    }

    private static byte[] le(final int value) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(value).array();
    }

    /** A blocking socket on the test thread: raw bytes out, whole frames in. */
    private static final class RawConnection implements AutoCloseable {
        private final Socket socket;
        private final DataInputStream in;
        private final BinaryCodec codec = new BinaryCodec();

        RawConnection(final int port) throws IOException {
            socket = new Socket("127.0.0.1", port);
            socket.setSoTimeout(30_000);
            in = new DataInputStream(socket.getInputStream());
        }

        void send(final byte[] bytes) throws IOException {
            socket.getOutputStream().write(bytes);
            socket.getOutputStream().flush();
        }

        /** Reads one frame and wraps it; returns the template id. */
        int read() throws IOException {
            final int length = Integer.reverseBytes(in.readInt());
            final byte[] frame = new byte[length];
            in.readFully(frame);
            return codec.wrapFrame(new UnsafeBuffer(frame), 0, length);
        }

        ErrorReply readError(final long correlationId) throws IOException {
            assertEquals(BinaryCodec.ERROR, read(), "an Error frame");
            assertEquals(correlationId, codec.correlationId());
            final ErrorReply error = codec.decodeError();
            assertNotNull(error.message());
            return error;
        }

        BinaryCodec readResponse() throws IOException {
            final int template = read();
            if (template == BinaryCodec.ERROR) {
                throw new AssertionError("expected an answer, got " + codec.decodeError());
            }
            assertEquals(BinaryCodec.RECOMMEND_RESPONSE, template);
            codec.decodeResponse(new RecommendResponse());
            return codec;
        }

        void assertClosedByServer() throws IOException {
            final InputStream s = socket.getInputStream();
            try {
                assertEquals(-1, s.read(), "the server closed the connection");
            } catch (final EOFException | java.net.SocketException e) {
                // closed (a reset counts too)
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
