package io.funnel.engine.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.funnel.codecs.BadInputException;
import io.funnel.codecs.EventBatch;
import io.funnel.codecs.JsonCodec;
import io.funnel.codecs.RecommendResponse;
import io.funnel.engine.ingest.EventApplier;
import io.funnel.engine.ingest.EventIntake;
import io.funnel.engine.metrics.FunnelMetrics;
import io.funnel.engine.pipeline.Pipeline;
import io.funnel.engine.pipeline.RequestContext;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One event loop's HTTP listener for the public API. Several instances share the port (one per event loop); each
 * keeps its own pool of {@link RequestContext}s, so a request stays on its event loop from decode to response.
 *
 * <p>Routes: {@code POST /v1/recommend}, {@code POST /v1/events}, {@code GET /v1/stats}, {@code GET /v1/users/{id}},
 * {@code GET /metrics},
 * {@code GET /health/live}, {@code GET /health/ready}. Errors are JSON {@code {"error": ..., "field": ...}}.
 */
final class HttpApiVerticle extends VerticleBase {
    private static final Logger LOG = LoggerFactory.getLogger(HttpApiVerticle.class);
    private static final String JSON = "application/json";
    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final Pipeline pipeline;
    private final EventIntake intake;
    private final FunnelMetrics metrics;
    private final HttpServerOptions options;
    private final int maxInFlight;
    private final int maxBodyBytes;
    private final BooleanSupplier ready;
    private final BooleanSupplier draining;
    private final java.util.List<Integer> eventLoopCpus;
    private final ContextPool pool;
    private HttpServer server;

    HttpApiVerticle(final Pipeline pipeline, final EventIntake intake, final FunnelMetrics metrics,
            final HttpServerOptions options, final int maxInFlight, final int maxBodyBytes,
            final BooleanSupplier ready, final BooleanSupplier draining, final java.util.List<Integer> eventLoopCpus) {
        this.draining = draining;
        this.eventLoopCpus = eventLoopCpus;
        this.pipeline = pipeline;
        this.pool = new ContextPool(pipeline);
        this.intake = intake;
        this.metrics = metrics;
        this.options = options;
        this.maxInFlight = maxInFlight;
        this.maxBodyBytes = maxBodyBytes;
        this.ready = ready;
    }

    @Override
    public Future<?> start() {
        ThreadPinning.pin("event loop", eventLoopCpus); // start() runs on this verticle's event loop
        final Router router = Router.router(vertx);
        // A declared length over the limit is refused before any byte of the body is read.
        router.route("/v1/*").handler(rc -> {
            final String length = rc.request().getHeader("Content-Length");
            if (length != null && declaredLength(length) > maxBodyBytes) {
                rc.response().putHeader("Connection", "close");
                error(rc.response(), 413, "request body is larger than " + maxBodyBytes + " bytes", null);
                return;
            }
            rc.next();
        });
        router.route("/v1/*").handler(BodyHandler.create(false).setBodyLimit(maxBodyBytes));
        router.post("/v1/recommend").handler(this::recommend);
        router.post("/v1/events").handler(this::events);
        router.get("/v1/stats").handler(this::stats);
        router.get("/v1/users/:userId").handler(this::user);
        router.get("/metrics").handler(this::prometheus);
        router.get("/health/live").handler(rc -> json(rc.response(), 200, "{\"status\":\"UP\"}"));
        router.get("/health/ready").handler(rc -> {
            final boolean up = ready.getAsBoolean();
            json(rc.response(), up ? 200 : 503, up ? "{\"status\":\"UP\"}" : "{\"status\":\"DOWN\"}");
        });
        router.errorHandler(404, rc -> error(rc.response(), 404, "no route " + rc.request().method() + " "
                + rc.request().path(), null));
        router.errorHandler(405, rc -> error(rc.response(), 405, "method " + rc.request().method()
                + " not allowed on " + rc.request().path(), null));
        router.errorHandler(413, rc -> error(rc.response(), 413, "request body is larger than " + maxBodyBytes
                + " bytes", null));
        router.errorHandler(500, rc -> {
            metrics.countError("internal");
            LOG.error("unexpected failure on {} {}", rc.request().method(), rc.request().path(), rc.failure());
            error(rc.response(), 500, "internal error", null);
        });
        return vertx.createHttpServer(options).requestHandler(router).listen().onSuccess(s -> server = s);
    }

    @Override
    public Future<?> stop() {
        return server == null ? Future.succeededFuture() : server.close();
    }

    private void recommend(final RoutingContext rc) {
        final long startNs = System.nanoTime();
        if (draining.getAsBoolean()) {
            metrics.countRejected();
            error(rc.response(), 503, "draining: this instance is not admitting new requests", null);
            return;
        }
        final AtomicInteger inFlight = metrics.inFlight();
        if (inFlight.incrementAndGet() > maxInFlight) {
            inFlight.decrementAndGet();
            metrics.countRejected();
            error(rc.response(), 503, "overloaded: more than " + maxInFlight + " requests in flight", null);
            return;
        }
        final RequestContext ctx;
        try {
            ctx = pool.acquire(request -> JsonCodec.decodeRecommend(body(rc), request));
        } catch (final BadInputException e) {
            inFlight.decrementAndGet();
            metrics.countError("bad_request");
            error(rc.response(), e.status(), e.getMessage(), e.field());
            return;
        }
        ctx.begin(startNs, pipeline.budgets().totalMicros() * 1_000L, System.currentTimeMillis());
        pipeline.execute(ctx).onComplete(ar -> {
            inFlight.decrementAndGet();
            if (ar.succeeded()) {
                final RecommendResponse response = ar.result();
                final long nanos = System.nanoTime() - startNs;
                response.tookMicros(nanos / 1_000);
                final ByteArrayOutputStream out = new ByteArrayOutputStream(512);
                JsonCodec.encodeResponse(response, out);
                metrics.recordRequest(nanos);
                metrics.transportRequests("http").increment();
                rc.response().putHeader("content-type", JSON).setStatusCode(200).end(Buffer.buffer(out.toByteArray()));
            } else {
                metrics.countError("internal");
                LOG.error("recommendation for user {} failed", ctx.request().userId(), ar.cause());
                error(rc.response(), 500, "internal error", null);
            }
            pool.release(ctx);
        });
    }

    private void events(final RoutingContext rc) {
        if (draining.getAsBoolean()) {
            metrics.countRejected();
            error(rc.response(), 503, "draining: this instance is not admitting new events", null);
            return;
        }
        final EventBatch batch = new EventBatch(); // handed to the applier thread: not pooled
        final Future<EventIntake.Accepted> accepted;
        try {
            JsonCodec.decodeEvents(body(rc), System.currentTimeMillis(), batch);
            accepted = intake.submit(batch, vertx.getOrCreateContext());
        } catch (final BadInputException e) {
            metrics.countError("bad_request");
            error(rc.response(), e.status(), e.getMessage(), e.field());
            return;
        }
        accepted.onComplete(ar -> {
            if (ar.succeeded()) {
                final EventIntake.Accepted ok = ar.result();
                json(rc.response(), 200, ok.logPosition() < 0
                        ? "{\"accepted\":" + ok.events() + "}"
                        : "{\"accepted\":" + ok.events() + ",\"logPosition\":" + ok.logPosition() + "}");
            } else if (EventApplier.QUEUE_FULL.equals(ar.cause().getMessage())) {
                metrics.countRejected();
                error(rc.response(), 503, "event queue is full, retry later", null);
            } else {
                metrics.countError("internal");
                error(rc.response(), 500, "events could not be applied: " + ar.cause().getMessage(), null);
            }
        });
    }

    private void stats(final RoutingContext rc) {
        final FunnelMetrics.Stats stats = metrics.stats();
        final Map<String, Object> body = new LinkedHashMap<>();
        body.put("requests", stats.requests());
        body.put("requestsByTransport", metrics.requestsByTransport());
        body.put("rejected", stats.rejected());
        body.put("events", stats.events());
        body.put("inFlight", stats.inFlight());
        body.put("modelVersion", stats.modelVersion());
        body.put("latencyMicros", stats.request());
        body.put("stages", stats.stages());
        body.put("budgetMisses", stats.budgetMisses());
        body.put("budgetsMicros", budgets());
        body.put("degraded", stats.degraded());
        body.put("channels", stats.channels());
        body.put("reRankSteps", stats.reRankSteps());
        body.put("channelCandidates", stats.channelCandidates());
        body.put("errors", stats.errors());
        body.put("eventQueueDepth", stats.eventQueueDepth());
        body.put("ingest", metrics.ingest());
        try {
            json(rc.response(), 200, MAPPER.writeValueAsString(body));
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * {@code GET /v1/users/{id}}: what the serving state holds for a user (read-only) — the sum of its interaction
     * weights, its most recent items with their event times, and the event-log position the state has applied — so
     * the effect of posted events can be checked from outside.
     */
    private void user(final RoutingContext rc) {
        final long userId;
        try {
            userId = Long.parseLong(rc.pathParam("userId"));
        } catch (final NumberFormatException e) {
            error(rc.response(), 400, "userId must be an integer, got '" + rc.pathParam("userId") + "'", "userId");
            return;
        }
        final var state = pipeline.state();
        final io.funnel.features.UserRow row = new io.funnel.features.UserRow(state.store().dimension());
        if (!state.store().readUser(userId, row)) {
            error(rc.response(), 404, "user " + userId + " is unknown", "userId");
            return;
        }
        final java.util.List<Map<String, Long>> recent = new java.util.ArrayList<>(row.recentCount());
        for (int i = 0; i < row.recentCount(); i++) {
            recent.add(Map.of("itemId", state.store().itemIdAt(row.recentItem(i)), "ts", row.recentTsMs(i)));
        }
        final Map<String, Object> body = new LinkedHashMap<>();
        body.put("userId", userId);
        body.put("interactionWeight", row.interactionWeight());
        body.put("recent", recent);
        body.put("logPosition", state.logPosition());
        try {
            json(rc.response(), 200, MAPPER.writeValueAsString(body));
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Map<String, Long> budgets() {
        final long[] values = pipeline.budgets().snapshot();
        final Map<String, Long> out = new LinkedHashMap<>();
        final var stages = io.funnel.engine.pipeline.StageId.all();
        for (int i = 0; i < stages.length; i++) {
            out.put(stages[i].metricName(), values[i]);
        }
        out.put("total", values[stages.length]);
        return out;
    }

    private void prometheus(final RoutingContext rc) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream(8192);
        try {
            metrics.writePrometheus(out);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
        rc.response().putHeader("content-type", "text/plain; version=0.0.4; charset=utf-8")
                .end(Buffer.buffer(out.toByteArray()));
    }

    /** The declared body length, or {@code Long.MAX_VALUE} when it is not a sane number. */
    private static long declaredLength(final String header) {
        try {
            return Long.parseLong(header.trim());
        } catch (final NumberFormatException e) {
            return Long.MAX_VALUE;
        }
    }

    private static byte[] body(final RoutingContext rc) {
        final Buffer body = rc.body().buffer();
        if (body == null || body.length() == 0) {
            throw new BadInputException(null, "the request body is empty; send a JSON object");
        }
        return body.getBytes();
    }

    private static void json(final HttpServerResponse response, final int status, final String body) {
        response.putHeader("content-type", JSON).setStatusCode(status).end(body);
    }

    private static void error(final HttpServerResponse response, final int status, final String message,
            final String field) {
        response.putHeader("content-type", JSON).setStatusCode(status)
                .end(Buffer.buffer(JsonCodec.encodeError(message, field)));
    }
}
