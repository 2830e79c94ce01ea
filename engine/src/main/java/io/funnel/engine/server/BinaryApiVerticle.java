package io.funnel.engine.server;

import io.funnel.codecs.BadInputException;
import io.funnel.codecs.EventBatch;
import io.funnel.codecs.RecommendResponse;
import io.funnel.codecs.binary.BinaryCodec;
import io.funnel.codecs.binary.FrameError;
import io.funnel.codecs.binary.FrameException;
import io.funnel.codecs.binary.FrameReader;
import io.funnel.engine.ingest.EventApplier;
import io.funnel.engine.ingest.EventIntake;
import io.funnel.engine.metrics.FunnelMetrics;
import io.funnel.engine.pipeline.Pipeline;
import io.funnel.engine.pipeline.RequestContext;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BooleanSupplier;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One event loop's listener for the binary API: length-prefixed SBE frames over TCP (codecs/README.md). Several
 * instances share the port, one per event loop, beside the HTTP listeners; a connection and every request on it stay
 * on one event loop.
 *
 * <p>{@code RecommendRequest} runs the same pipeline as {@code POST /v1/recommend}, under the same budgets (a non-zero
 * {@code budgetMicros} tightens the total), the same in-flight limit (beyond it: {@code Error} 503) and the same
 * metrics; answers go back as soon as they are ready, so several requests pipelined on one connection may be answered
 * out of order, each carrying its correlation id. {@code EventBatch} goes through {@link EventIntake} and is answered
 * {@code Ack} (or {@code Error}).
 *
 * <p>Bad input never takes the server down: a frame whose length prefix is out of range or whose schema id is not
 * Funnel's gets an {@code Error} (correlation id 0) and the connection is closed, since nothing after it can be read;
 * any other unreadable frame or bad field value gets an {@code Error} naming the field and the connection stays open.
 * Each is counted in {@code funnel_errors_total{kind}} ({@code binary_<kind>} for frame errors, {@code bad_request}
 * for field values).
 *
 * <p>Threading: everything runs on this verticle's event loop; the codec, output buffer and context pool are confined
 * to it.
 */
final class BinaryApiVerticle extends VerticleBase {
    private static final Logger LOG = LoggerFactory.getLogger(BinaryApiVerticle.class);

    private final Pipeline pipeline;
    private final EventIntake intake;
    private final FunnelMetrics metrics;
    private final NetServerOptions options;
    private final int maxInFlight;
    private final int maxFrameBytes;
    private final BooleanSupplier draining;
    private final List<Integer> eventLoopCpus;
    private final ContextPool pool;
    private final BinaryCodec codec = new BinaryCodec();
    private final ExpandableArrayBuffer out = new ExpandableArrayBuffer(4096);
    private final LongAdder answered;
    private NetServer server;

    BinaryApiVerticle(final Pipeline pipeline, final EventIntake intake, final FunnelMetrics metrics,
            final NetServerOptions options, final int maxInFlight, final int maxFrameBytes,
            final BooleanSupplier draining, final List<Integer> eventLoopCpus) {
        this.pipeline = pipeline;
        this.pool = new ContextPool(pipeline);
        this.intake = intake;
        this.metrics = metrics;
        this.options = options;
        this.maxInFlight = maxInFlight;
        this.maxFrameBytes = maxFrameBytes;
        this.draining = draining;
        this.eventLoopCpus = eventLoopCpus;
        this.answered = metrics.transportRequests("binary");
    }

    @Override
    public Future<?> start() {
        ThreadPinning.pin("event loop", eventLoopCpus); // start() runs on this verticle's event loop
        return vertx.createNetServer(options).connectHandler(this::connected).listen().onSuccess(s -> server = s);
    }

    @Override
    public Future<?> stop() {
        return server == null ? Future.succeededFuture() : server.close();
    }

    private void connected(final NetSocket socket) {
        final Connection c = new Connection(socket, new FrameReader(maxFrameBytes));
        socket.handler(c::onData);
        socket.closeHandler(v -> c.onClose());
        socket.exceptionHandler(e -> LOG.debug("binary connection from {}: {}", socket.remoteAddress(), e.toString()));
    }

    /** One client connection: its frame reader and whether it is being closed. */
    private final class Connection {
        final NetSocket socket;
        final FrameReader reader;
        boolean closing;

        Connection(final NetSocket socket, final FrameReader reader) {
            this.socket = socket;
            this.reader = reader;
        }

        void onData(final Buffer chunk) {
            if (closing) {
                return;
            }
            try {
                reader.onData(chunk, this::onFrame);
            } catch (final FrameException e) {
                frameError(this, e);
            }
        }

        boolean onFrame(final DirectBuffer buffer, final int offset, final int length) {
            final long startNs = System.nanoTime();
            final int template;
            try {
                template = codec.wrapFrame(buffer, offset, length);
                if (template != BinaryCodec.RECOMMEND_REQUEST && template != BinaryCodec.EVENT_BATCH) {
                    throw new FrameException(FrameError.UNKNOWN_TEMPLATE, codec.correlationId(), "header.templateId",
                            "the server reads RecommendRequest (1) and EventBatch (3), got "
                                    + BinaryCodec.templateName(template));
                }
            } catch (final FrameException e) {
                frameError(this, e);
                return !closing;
            }
            if (template == BinaryCodec.RECOMMEND_REQUEST) {
                recommend(this, startNs);
            } else {
                events(this);
            }
            return !closing;
        }

        void onClose() {
            if (reader.hasPartialFrame() && !closing) {
                metrics.countError("binary_" + FrameError.TRUNCATED_FRAME.metricName());
            }
            closing = true;
        }
    }

    private void frameError(final Connection c, final FrameException e) {
        metrics.countError("binary_" + e.error().metricName());
        final int length = codec.encodeError(e.correlationId(), e.status(), e.field(), e.getMessage(), out, 0);
        if (e.error().closesConnection()) {
            c.closing = true;
            c.socket.write(copy(length)).onComplete(ar -> c.socket.close());
        } else {
            write(c, length);
        }
    }

    private void recommend(final Connection c, final long startNs) {
        final long correlationId = codec.correlationId();
        if (draining.getAsBoolean()) {
            metrics.countRejected();
            error(c, correlationId, 503, null, "draining: this instance is not admitting new requests");
            return;
        }
        final AtomicInteger inFlight = metrics.inFlight();
        if (inFlight.incrementAndGet() > maxInFlight) {
            inFlight.decrementAndGet();
            metrics.countRejected();
            error(c, correlationId, 503, null, "overloaded: more than " + maxInFlight + " requests in flight");
            return;
        }
        final RequestContext ctx;
        try {
            ctx = pool.acquire(codec::decodeRecommend);
        } catch (final BadInputException e) {
            inFlight.decrementAndGet();
            badInput(c, correlationId, e);
            return;
        }
        final long configuredMicros = pipeline.budgets().totalMicros();
        final long asked = ctx.request().budgetMicros();
        final long budgetMicros = asked > 0 ? Math.min(asked, configuredMicros) : configuredMicros;
        ctx.begin(startNs, budgetMicros * 1_000L, System.currentTimeMillis());
        final Future<RecommendResponse> answer;
        try {
            answer = pipeline.execute(ctx);
        } catch (final RuntimeException e) {
            inFlight.decrementAndGet();
            internal(c, correlationId, ctx, e);
            return;
        }
        answer.onComplete(ar -> {
            inFlight.decrementAndGet();
            if (ar.succeeded()) {
                final RecommendResponse response = ar.result();
                final long nanos = System.nanoTime() - startNs;
                response.tookMicros(nanos / 1_000);
                final int length = codec.encodeResponse(correlationId, response, out, 0);
                metrics.recordRequest(nanos);
                answered.increment();
                write(c, length);
                pool.release(ctx);
            } else {
                internal(c, correlationId, ctx, ar.cause());
            }
        });
    }

    private void internal(final Connection c, final long correlationId, final RequestContext ctx,
            final Throwable cause) {
        metrics.countError("internal");
        LOG.error("binary recommendation for user {} failed", ctx.request().userId(), cause);
        error(c, correlationId, 500, null, "internal error");
        pool.release(ctx);
    }

    private void events(final Connection c) {
        final long correlationId = codec.correlationId();
        if (draining.getAsBoolean()) {
            metrics.countRejected();
            error(c, correlationId, 503, null, "draining: this instance is not admitting new events");
            return;
        }
        final EventBatch batch = new EventBatch(); // handed to the applier thread: not pooled
        final Future<EventIntake.Accepted> accepted;
        try {
            codec.decodeEvents(System.currentTimeMillis(), batch);
            accepted = intake.submit(batch, context);
        } catch (final BadInputException e) {
            badInput(c, correlationId, e);
            return;
        }
        accepted.onComplete(ar -> {
            if (ar.succeeded()) {
                write(c, codec.encodeAck(correlationId, ar.result().events(), ar.result().logPosition(), out, 0));
            } else if (EventApplier.QUEUE_FULL.equals(ar.cause().getMessage())) {
                metrics.countRejected();
                error(c, correlationId, 503, null, "event queue is full, retry later");
            } else {
                metrics.countError("internal");
                error(c, correlationId, 500, null, "events could not be applied: " + ar.cause().getMessage());
            }
        });
    }

    /** A frame error (counted by kind, may close) or a bad field value (counted as {@code bad_request}). */
    private void badInput(final Connection c, final long correlationId, final BadInputException e) {
        if (e instanceof FrameException f) {
            frameError(c, f);
        } else {
            metrics.countError("bad_request");
            error(c, correlationId, e.status(), e.field(), e.getMessage());
        }
    }

    private void error(final Connection c, final long correlationId, final int status, final String field,
            final String message) {
        write(c, codec.encodeError(correlationId, status, field, message, out, 0));
    }

    /** Sends the frame encoded in {@link #out}; stops reading while the socket's write queue is full. */
    private void write(final Connection c, final int length) {
        if (c.closing) {
            return;
        }
        final NetSocket socket = c.socket;
        socket.write(copy(length));
        if (socket.writeQueueFull()) {
            // A client that sends faster than it reads: stop reading its requests until it catches up.
            socket.pause();
            socket.drainHandler(v -> socket.resume());
        }
    }

    private Buffer copy(final int length) {
        return Buffer.buffer(length).appendBytes(out.byteArray(), 0, length);
    }

}
