package io.funnel.codecs.client;

import io.funnel.codecs.BadInputException;
import io.funnel.codecs.EventBatch;
import io.funnel.codecs.RecommendRequest;
import io.funnel.codecs.RecommendResponse;
import io.funnel.codecs.binary.Ack;
import io.funnel.codecs.binary.BinaryCodec;
import io.funnel.codecs.binary.FrameException;
import io.funnel.codecs.binary.FrameReader;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.collections.Long2ObjectHashMap;

/**
 * A client of Funnel's binary endpoint (SBE frames over TCP): asynchronous, pipelined (any number of requests
 * outstanding on a connection, answers matched by correlation id and allowed to come back in any order), over a
 * small pool of connections used round robin, with a timeout per request and automatic reconnection.
 *
 * <pre>{@code
 * FunnelClient client = FunnelClient.builder().host("127.0.0.1").port(8082).connections(2)
 *         .timeout(Duration.ofMillis(200)).connect().get(5, TimeUnit.SECONDS);
 * client.recommend(new RecommendRequest().userId(42).count(10))
 *         .thenAccept(r -> System.out.println(r.count() + " items, first " + r.itemId(0)));
 * client.close();
 * }</pre>
 *
 * <p>Outcomes: a request's future completes with the answer; or fails with {@link ErrorReplyException} when the
 * server answered an {@code Error} frame (bad field, overloaded, ...), {@link TimeoutException} when no answer came
 * within the timeout (an answer arriving later is dropped and counted in {@link #droppedAnswers()}),
 * {@link IOException} when the connection closed or none is open (the client reconnects in the background, with a
 * back-off from 50 ms to 2 s), or {@link IllegalArgumentException} when the request cannot be encoded.
 *
 * <p>Threading: every method may be called from any thread. The request is encoded on the calling thread before the
 * method returns, so the caller may reuse its {@link RecommendRequest} or {@link EventBatch} at once. Each
 * connection lives on one Vert.x event loop, and futures complete on that event-loop thread: callbacks must not
 * block (use the {@code *Async} stages of {@link CompletableFuture} to move elsewhere). A
 * {@link RecommendResponse} handed to a future is new and belongs to the caller.
 */
public final class FunnelClient implements AutoCloseable {
    private static final long MIN_RECONNECT_MS = 50;
    private static final long MAX_RECONNECT_MS = 2_000;
    private static final ThreadLocal<Encoder> ENCODERS = ThreadLocal.withInitial(Encoder::new);

    private final Vertx vertx;
    private final boolean ownsVertx;
    private final NetClient netClient;
    private final String host;
    private final int port;
    private final long timeoutMs;
    private final int maxFrameBytes;
    private final Connection[] connections;
    private final AtomicInteger next = new AtomicInteger();
    private final AtomicLong correlationIds = new AtomicLong();
    private final LongAdder dropped = new LongAdder();
    private volatile boolean closed;

    private FunnelClient(final Builder b, final Vertx vertx, final boolean ownsVertx) {
        this.vertx = vertx;
        this.ownsVertx = ownsVertx;
        this.host = b.host;
        this.port = b.port;
        this.timeoutMs = Math.max(1, b.timeout.toMillis());
        this.maxFrameBytes = b.maxFrameBytes;
        this.netClient = vertx.createNetClient(new NetClientOptions().setTcpNoDelay(true)
                .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, Math.max(1, b.connectTimeout.toMillis()))));
        this.connections = new Connection[b.connections];
        for (int i = 0; i < connections.length; i++) {
            connections[i] = new Connection(vertx.getOrCreateContext());
        }
    }

    /** Starts configuring a client (defaults: 127.0.0.1:8082, one connection, 1 s timeout, 1 MiB frames). */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Asks for recommendations. The request's {@code budgetMicros}, when non-zero, tightens the server's deadline.
     *
     * @return completes on an event-loop thread with a new response, or fails as described on the class
     */
    public CompletableFuture<RecommendResponse> recommend(final RecommendRequest request) {
        return request(false, (encoder, id) -> encoder.recommend(id, request));
    }

    /**
     * Sends feedback events; the future completes once the server has accepted (made durable and applied) them.
     * An event time of 0 means "when the server receives it".
     *
     * @return completes on an event-loop thread with the server's {@link Ack}, or fails as described on the class
     *     (an unknown item is an {@link ErrorReplyException} with status 422 naming {@code events[i].itemId})
     */
    public CompletableFuture<Ack> send(final EventBatch batch) {
        return request(true, (encoder, id) -> encoder.events(id, batch));
    }

    /** How a request is written into a frame on the calling thread. */
    @FunctionalInterface
    private interface Encoding {
        Buffer encode(Encoder encoder, long correlationId);
    }

    private <T> CompletableFuture<T> request(final boolean events, final Encoding encoding) {
        final CompletableFuture<T> future = new CompletableFuture<>();
        final long id = correlationIds.incrementAndGet();
        final Buffer frame;
        try {
            frame = encoding.encode(ENCODERS.get(), id);
        } catch (final RuntimeException e) {
            future.completeExceptionally(e);
            return future;
        }
        submit(new Pending(id, events, future), frame);
        return future;
    }

    /** Connections open right now (at most the configured number). */
    public int openConnections() {
        int n = 0;
        for (final Connection c : connections) {
            if (c.up) {
                n++;
            }
        }
        return n;
    }

    /** Answers that arrived after their request had timed out (or for an unknown correlation id): dropped. */
    public long droppedAnswers() {
        return dropped.sum();
    }

    /**
     * Closes every connection (outstanding requests fail with {@link IOException}) and, when the builder created it,
     * the Vert.x instance. Idempotent.
     */
    public CompletableFuture<Void> closeAsync() {
        closed = true;
        final List<Future<Void>> closing = new ArrayList<>();
        for (final Connection c : connections) {
            final Promise<Void> p = Promise.promise();
            c.context.runOnContext(v -> c.shutdown().onComplete(p));
            closing.add(p.future());
        }
        final Future<Void> all = Future.join(closing).transform(ar -> netClient.close())
                .transform(ar -> ownsVertx ? vertx.close() : Future.<Void>succeededFuture());
        return all.toCompletionStage().toCompletableFuture();
    }

    /**
     * {@link #closeAsync()}, waiting up to 10 s for it when called off the event loops (on an event loop it only
     * starts closing: blocking there would deadlock).
     */
    @Override
    public void close() {
        final CompletableFuture<Void> done = closeAsync();
        if (Context.isOnEventLoopThread()) {
            return;
        }
        try {
            done.get(10, TimeUnit.SECONDS);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (final ExecutionException | TimeoutException e) {
            // best effort: the sockets are closing
        }
    }

    private void submit(final Pending p, final Buffer frame) {
        if (closed) {
            p.future.completeExceptionally(new IOException("FunnelClient to " + host + ":" + port + " is closed"));
            return;
        }
        final Connection c = pick();
        if (Vertx.currentContext() == c.context) {
            c.send(p, frame);
        } else {
            c.context.runOnContext(v -> c.send(p, frame));
        }
    }

    /** Round robin over open connections; a closed one only when none is open (the request then fails fast). */
    private Connection pick() {
        final int start = next.getAndIncrement() & Integer.MAX_VALUE;
        for (int i = 0; i < connections.length; i++) {
            final Connection c = connections[(start + i) % connections.length];
            if (c.up) {
                return c;
            }
        }
        return connections[start % connections.length];
    }

    private String target() {
        return host + ":" + port;
    }

    /** One request waiting for its answer; touched only on its connection's event loop. */
    private static final class Pending {
        final long id;
        final boolean events;
        @SuppressWarnings("rawtypes")
        final CompletableFuture future;
        long timerId = -1;

        Pending(final long id, final boolean events, final CompletableFuture<?> future) {
            this.id = id;
            this.events = events;
            this.future = future;
        }

        @SuppressWarnings("unchecked")
        void complete(final Object value) {
            future.complete(value);
        }

        void fail(final Throwable cause) {
            future.completeExceptionally(cause);
        }
    }

    /** Per-thread scratch for encoding on the caller's thread. */
    private static final class Encoder {
        final BinaryCodec codec = new BinaryCodec();
        final ExpandableArrayBuffer buffer = new ExpandableArrayBuffer(512);

        Buffer recommend(final long id, final RecommendRequest request) {
            return copy(codec.encodeRecommend(id, request, buffer, 0));
        }

        Buffer events(final long id, final EventBatch batch) {
            return copy(codec.encodeEvents(id, batch, buffer, 0));
        }

        private Buffer copy(final int length) {
            return Buffer.buffer(length).appendBytes(buffer.byteArray(), 0, length);
        }
    }

    /** One TCP connection and the requests outstanding on it; all state confined to {@link #context}. */
    private final class Connection {
        final Context context;
        final Long2ObjectHashMap<Pending> pending = new Long2ObjectHashMap<>();
        final BinaryCodec codec = new BinaryCodec();
        volatile boolean up;
        NetSocket socket;
        FrameReader reader;
        long reconnectMs = MIN_RECONNECT_MS;
        boolean reconnectScheduled;

        Connection(final Context context) {
            this.context = context;
        }

        /** Connects; on the connection's context. */
        Future<Void> connect() {
            return netClient.connect(port, host).<Void>map(s -> {
                if (closed) {
                    s.close();
                    return null;
                }
                socket = s;
                reader = new FrameReader(maxFrameBytes);
                reconnectMs = MIN_RECONNECT_MS;
                s.handler(this::onData);
                s.closeHandler(v -> onClose(s));
                s.exceptionHandler(e -> s.close());
                up = true;
                return null;
            }).onFailure(e -> scheduleReconnect());
        }

        void scheduleReconnect() {
            if (closed || reconnectScheduled) {
                return;
            }
            reconnectScheduled = true;
            final long delay = reconnectMs;
            reconnectMs = Math.min(MAX_RECONNECT_MS, reconnectMs * 2);
            vertx.setTimer(delay, t -> {
                reconnectScheduled = false;
                if (!closed && !up) {
                    connect();
                }
            });
        }

        void send(final Pending p, final Buffer frame) {
            if (!up) {
                p.fail(new IOException("no connection to " + target() + " is open (reconnecting)"));
                return;
            }
            pending.put(p.id, p);
            p.timerId = vertx.setTimer(timeoutMs, t -> timeout(p.id));
            socket.write(frame);
        }

        void timeout(final long id) {
            final Pending p = pending.remove(id);
            if (p != null) {
                p.fail(new TimeoutException("no answer to " + (p.events ? "EventBatch" : "RecommendRequest")
                        + " correlation id " + id + " from " + target() + " within " + timeoutMs + " ms"));
            }
        }

        void onData(final Buffer chunk) {
            try {
                reader.onData(chunk, this::onFrame);
            } catch (final BadInputException e) {
                // The server's stream cannot be read any further (a bad length prefix): start afresh.
                socket.close();
            }
        }

        boolean onFrame(final DirectBuffer buffer, final int offset, final int length) {
            final int template;
            try {
                template = codec.wrapFrame(buffer, offset, length);
            } catch (final FrameException e) {
                final Pending p = e.correlationId() == 0 ? null : pending.remove(e.correlationId());
                if (p != null) {
                    vertx.cancelTimer(p.timerId);
                    p.fail(e);
                }
                if (e.error().closesConnection()) {
                    socket.close();
                    return false;
                }
                return true;
            }
            final Pending p = pending.remove(codec.correlationId());
            if (p == null) {
                dropped.increment(); // late (timed out) answer, or an Error about a frame the server could not read
                return true;
            }
            vertx.cancelTimer(p.timerId);
            try {
                if (template == BinaryCodec.ERROR) {
                    p.fail(new ErrorReplyException(codec.decodeError()));
                } else if (template == BinaryCodec.RECOMMEND_RESPONSE && !p.events) {
                    p.complete(codec.decodeResponse(new RecommendResponse()));
                } else if (template == BinaryCodec.ACK && p.events) {
                    p.complete(codec.decodeAck());
                } else {
                    p.fail(new IOException("unexpected " + BinaryCodec.templateName(template) + " from " + target()
                            + " in answer to correlation id " + p.id));
                }
            } catch (final BadInputException e) {
                p.fail(e);
            }
            return true;
        }

        void onClose(final NetSocket s) {
            if (socket != s) {
                return;
            }
            up = false;
            socket = null;
            failAll(new IOException("connection to " + target() + " closed with the request outstanding"));
            scheduleReconnect();
        }

        Future<Void> shutdown() {
            up = false;
            failAll(new IOException("FunnelClient to " + target() + " closed with the request outstanding"));
            final NetSocket s = socket;
            socket = null;
            return s == null ? Future.succeededFuture() : s.close();
        }

        void failAll(final IOException cause) {
            if (pending.isEmpty()) {
                return;
            }
            final List<Pending> all = new ArrayList<>(pending.values());
            pending.clear();
            for (final Pending p : all) {
                vertx.cancelTimer(p.timerId);
                p.fail(cause);
            }
        }
    }

    /** Configures a {@link FunnelClient}; validated by {@link #connect()}. */
    public static final class Builder {
        private String host = "127.0.0.1";
        private int port = 8082;
        private int connections = 1;
        private Duration timeout = Duration.ofSeconds(1);
        private Duration connectTimeout = Duration.ofSeconds(5);
        private int maxFrameBytes = 1 << 20;
        private Vertx vertx;

        private Builder() {}

        public Builder host(final String value) {
            host = value;
            return this;
        }

        /** The server's binary port ({@code server.binaryPort}). */
        public Builder port(final int value) {
            port = value;
            return this;
        }

        /** Connections in the pool, 1..1024 (default 1); requests go round robin over the open ones. */
        public Builder connections(final int value) {
            connections = value;
            return this;
        }

        /** Per-request timeout, at least 1 ms (default 1 s). */
        public Builder timeout(final Duration value) {
            timeout = value;
            return this;
        }

        /** TCP connect timeout (default 5 s). */
        public Builder connectTimeout(final Duration value) {
            connectTimeout = value;
            return this;
        }

        /** Largest answer frame accepted, bytes (default 1 MiB); a larger one closes the connection. */
        public Builder maxFrameBytes(final int value) {
            maxFrameBytes = value;
            return this;
        }

        /** Runs on this Vert.x instance (not closed by the client); by default the client creates and owns one. */
        public Builder vertx(final Vertx value) {
            vertx = value;
            return this;
        }

        /**
         * Validates the settings and opens every connection. Called from a non-Vert.x thread, each connection gets
         * its own event loop; from a Vert.x thread, they all share that thread's context.
         *
         * @return completes once every connection is open; fails with the first connection's error (the client is
         *     closed then)
         * @throws IllegalArgumentException naming a bad setting
         */
        public CompletableFuture<FunnelClient> connect() {
            if (host == null || host.isBlank()) {
                throw new IllegalArgumentException("host must be set");
            }
            if (port < 1 || port > 65_535) {
                throw new IllegalArgumentException("port must be 1..65535, got " + port);
            }
            if (connections < 1 || connections > 1024) {
                throw new IllegalArgumentException("connections must be 1..1024, got " + connections);
            }
            if (timeout == null || timeout.toMillis() < 1) {
                throw new IllegalArgumentException("timeout must be at least 1 ms, got " + timeout);
            }
            if (connectTimeout == null || connectTimeout.toMillis() < 1) {
                throw new IllegalArgumentException("connectTimeout must be at least 1 ms, got " + connectTimeout);
            }
            if (maxFrameBytes < FrameReader.MIN_FRAME_BYTES) {
                throw new IllegalArgumentException("maxFrameBytes must be >= " + FrameReader.MIN_FRAME_BYTES + ", got "
                        + maxFrameBytes);
            }
            final boolean owns = vertx == null;
            final FunnelClient client = new FunnelClient(this, owns ? Vertx.vertx() : vertx, owns);
            final List<Future<Void>> opened = new ArrayList<>();
            for (final Connection c : client.connections) {
                final Promise<Void> p = Promise.promise();
                c.context.runOnContext(v -> c.connect().onComplete(p));
                opened.add(p.future());
            }
            final CompletableFuture<FunnelClient> result = new CompletableFuture<>();
            Future.all(opened).onComplete(ar -> {
                if (ar.succeeded()) {
                    result.complete(client);
                } else {
                    client.closeAsync().whenComplete((v, e) -> result.completeExceptionally(new IOException(
                            "cannot connect to " + client.target() + ": " + ar.cause().getMessage(), ar.cause())));
                }
            });
            return result;
        }
    }
}
