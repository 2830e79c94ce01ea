package io.funnel.engine.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.funnel.codecs.JsonCodec;
import io.funnel.engine.config.ConfigException;
import io.funnel.engine.config.Durations;
import io.funnel.engine.config.FunnelConfig;
import io.funnel.engine.metrics.FunnelMetrics;
import io.funnel.engine.pipeline.Budgets;
import io.funnel.engine.pipeline.StageId;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.StaticHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin listener: budgets at runtime, the effective config, drain, model reload, and the live dashboard with
 * its data stream. Every route requires a bearer token — in the {@code Authorization} header, the
 * {@code funnel_admin} cookie (set when the dashboard is opened with {@code ?token=}), or a {@code token} query
 * parameter — and every change is logged with the token's name.
 *
 * <p>Threading: one instance on one event loop; the dashboard feed ticks on the same loop once a second.
 */
public final class AdminVerticle extends VerticleBase {
    private static final Logger LOG = LoggerFactory.getLogger(AdminVerticle.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String COOKIE = "funnel_admin";
    private static final int HISTORY_SECONDS = 300;

    private final FunnelConfig config;
    private final Budgets budgets;
    private final FunnelMetrics metrics;
    private final AdminHooks hooks;
    private final Map<String, byte[]> tokens = new LinkedHashMap<>();
    private final ArrayDeque<String> history = new ArrayDeque<>();
    private final List<HttpServerResponse> streams = new ArrayList<>();
    private FunnelMetrics.Stats previous;
    private long previousBatches;
    private long previousBatchRows;
    private HttpServer server;
    private long timer = -1;

    /** What the admin API acts on beyond budgets and metrics. */
    public interface AdminHooks {
        /** Stops admitting requests; returns the number still in flight. */
        int drain();

        /** Whether the server is draining. */
        boolean draining();

        /** Reloads the ranking model, or {@code null} when this deployment has no model registry. */
        Supplier<Future<String>> modelReload();
    }

    public AdminVerticle(final FunnelConfig config, final Budgets budgets, final FunnelMetrics metrics,
            final AdminHooks hooks) {
        this.config = config;
        this.budgets = budgets;
        this.metrics = metrics;
        this.hooks = hooks;
        config.admin.tokens.forEach((name, token) -> tokens.put(name, token.getBytes(StandardCharsets.UTF_8)));
        final String env = System.getenv("FUNNEL_ADMIN_TOKEN");
        if (env != null && !env.isBlank()) {
            tokens.put("env", env.getBytes(StandardCharsets.UTF_8));
        }
    }

    /** Whether any token is configured; without one the admin API stays off. */
    public boolean enabled() {
        return !tokens.isEmpty();
    }

    @Override
    public Future<?> start() {
        final Router router = Router.router(vertx);
        router.route().handler(this::authenticate);
        router.route("/admin/*").handler(BodyHandler.create(false).setBodyLimit(64 * 1024));
        router.get("/admin/budgets").handler(rc -> json(rc.response(), 200, budgetsJson()));
        router.put("/admin/budgets").handler(this::putBudgets);
        router.get("/admin/config").handler(this::effectiveConfig);
        router.post("/admin/drain").handler(this::drain);
        router.post("/admin/models/reload").handler(this::reloadModel);
        router.get("/admin/history").handler(rc -> json(rc.response(), 200, "[" + String.join(",", history) + "]"));
        router.get("/admin/stream").handler(this::stream);
        router.get("/dashboard").handler(this::dashboard);
        router.route("/webjars/*").handler(StaticHandler.create("META-INF/resources/webjars"));
        router.errorHandler(404, rc -> error(rc.response(), 404, "no admin route " + rc.request().path()));
        router.errorHandler(500, rc -> {
            LOG.error("admin request {} {} failed", rc.request().method(), rc.request().path(), rc.failure());
            error(rc.response(), 500, "internal error");
        });
        previous = metrics.stats(); // the first tick reports what happened since start, not zero
        timer = vertx.setPeriodic(1_000, id -> tick());
        return vertx.createHttpServer(new HttpServerOptions().setHost(config.admin.host).setPort(config.admin.port))
                .requestHandler(router)
                .listen()
                .onSuccess(s -> server = s);
    }

    @Override
    public Future<?> stop() {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
        streams.forEach(r -> r.end());
        return server == null ? Future.succeededFuture() : server.close();
    }

    /** The port actually bound. */
    public int port() {
        return server == null ? -1 : server.actualPort();
    }

    private void authenticate(final RoutingContext rc) {
        String presented = null;
        final String header = rc.request().getHeader("Authorization");
        if (header != null && header.startsWith("Bearer ")) {
            presented = header.substring(7).trim();
        } else if (rc.request().getParam("token") != null) {
            presented = rc.request().getParam("token");
        } else if (rc.request().getCookie(COOKIE) != null) {
            presented = rc.request().getCookie(COOKIE).getValue();
        }
        if (presented == null || presented.isEmpty()) {
            rc.response().putHeader("WWW-Authenticate", "Bearer");
            error(rc.response(), 401, "missing bearer token: send 'Authorization: Bearer <token>'");
            return;
        }
        final byte[] bytes = presented.getBytes(StandardCharsets.UTF_8);
        for (final Map.Entry<String, byte[]> t : tokens.entrySet()) {
            if (MessageDigest.isEqual(t.getValue(), bytes)) {
                rc.put("who", t.getKey());
                rc.next();
                return;
            }
        }
        LOG.warn("admin: rejected a token on {} {} from {}", rc.request().method(), rc.request().path(),
                rc.request().remoteAddress());
        error(rc.response(), 403, "invalid token");
    }

    private String budgetsJson() {
        final long[] values = budgets.snapshot();
        final ObjectNode node = JSON.createObjectNode();
        final ObjectNode micros = node.putObject("budgetsMicros");
        for (final StageId s : StageId.all()) {
            micros.put(s.configKey(), values[s.ordinal()]);
        }
        micros.put("total", values[StageId.all().length]);
        return node.toString();
    }

    private void putBudgets(final RoutingContext rc) {
        final JsonNode body;
        try {
            body = JSON.readTree(rc.body().buffer() == null ? new byte[0] : rc.body().buffer().getBytes());
        } catch (final com.fasterxml.jackson.core.JsonProcessingException e) {
            error(rc.response(), 400, "malformed JSON: " + e.getOriginalMessage());
            return;
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
        if (body == null || !body.isObject() || body.isEmpty()) {
            error(rc.response(), 400, "send an object of budgets, e.g. {\"rank\": \"5ms\", \"total\": \"40ms\"}");
            return;
        }
        final long[] next = budgets.snapshot();
        final StringBuilder changes = new StringBuilder();
        for (final Iterator<Map.Entry<String, JsonNode>> it = body.fields(); it.hasNext(); ) {
            final Map.Entry<String, JsonNode> e = it.next();
            final String key = e.getKey();
            final int index;
            if ("total".equals(key)) {
                index = StageId.all().length;
            } else {
                final StageId stage = StageId.byConfigKey(key);
                if (stage == null) {
                    errorField(rc.response(), 400, "unknown budget '" + key + "'; known are total and "
                            + java.util.Arrays.stream(StageId.all()).map(StageId::configKey).toList(), key);
                    return;
                }
                index = stage.ordinal();
            }
            final JsonNode value = e.getValue();
            final long micros;
            try {
                if (value.isIntegralNumber()) {
                    micros = value.asLong();
                } else if (value.isTextual()) {
                    micros = Durations.parseMicros(value.asText(), "request", key);
                } else {
                    throw new ConfigException("request", key, "expected a duration such as \"5ms\" or microseconds");
                }
            } catch (final ConfigException ce) {
                errorField(rc.response(), 400, "budget '" + key + "': " + reason(ce), key);
                return;
            }
            if (micros <= 0) {
                errorField(rc.response(), 400, "budget '" + key + "' must be positive, got " + micros + "us", key);
                return;
            }
            changes.append(changes.length() == 0 ? "" : ", ").append(key).append(' ').append(next[index])
                    .append("us -> ").append(micros).append("us");
            next[index] = micros;
        }
        try {
            budgets.update(next);
        } catch (final IllegalArgumentException e) {
            error(rc.response(), 400, e.getMessage());
            return;
        }
        LOG.info("admin: {} changed budgets: {}", (String) rc.get("who"), changes);
        json(rc.response(), 200, budgetsJson());
    }

    private static String reason(final ConfigException e) {
        final String m = e.getMessage();
        final int i = m.lastIndexOf(": ");
        return i >= 0 ? m.substring(i + 2) : m;
    }

    private void effectiveConfig(final RoutingContext rc) {
        final ObjectNode node = JSON.valueToTree(config);
        final ObjectNode admin = (ObjectNode) node.get("admin");
        final ObjectNode masked = admin.putObject("tokens");
        tokens.keySet().forEach(name -> masked.put(name, "***"));
        final ObjectNode live = node.putObject("budgetsMicrosLive");
        final long[] values = budgets.snapshot();
        for (final StageId s : StageId.all()) {
            live.put(s.configKey(), values[s.ordinal()]);
        }
        live.put("total", values[StageId.all().length]);
        json(rc.response(), 200, node.toPrettyString());
    }

    private void drain(final RoutingContext rc) {
        final int inFlight = hooks.drain();
        LOG.info("admin: {} started a drain ({} requests in flight)", (String) rc.get("who"), inFlight);
        json(rc.response(), 200, "{\"draining\":true,\"inFlight\":" + inFlight + "}");
    }

    private void reloadModel(final RoutingContext rc) {
        final Supplier<Future<String>> reload = hooks.modelReload();
        if (reload == null) {
            error(rc.response(), 501, "this deployment has no model registry: the ranker is built at start-up");
            return;
        }
        LOG.info("admin: {} asked for a model reload", (String) rc.get("who"));
        reload.get().onComplete(ar -> {
            if (ar.succeeded()) {
                json(rc.response(), 200, "{\"modelVersion\":" + JSON.valueToTree(ar.result()) + "}");
            } else {
                error(rc.response(), 409, "reload rejected, the previous model keeps serving: "
                        + ar.cause().getMessage());
            }
        });
    }

    private void stream(final RoutingContext rc) {
        final HttpServerResponse response = rc.response();
        response.setChunked(true)
                .putHeader("Content-Type", "text/event-stream")
                .putHeader("Cache-Control", "no-cache")
                .putHeader("Connection", "keep-alive");
        response.write(": funnel live metrics, one event a second\n\n");
        streams.add(response);
        response.closeHandler(v -> streams.remove(response));
    }

    private void dashboard(final RoutingContext rc) {
        final String token = rc.request().getParam("token");
        if (token != null) {
            rc.response().addCookie(io.vertx.core.http.Cookie.cookie(COOKIE, token).setHttpOnly(true).setPath("/")
                    .setSameSite(io.vertx.core.http.CookieSameSite.STRICT));
        }
        rc.response().putHeader("Content-Type", "text/html; charset=utf-8").end(Buffer.buffer(page()));
    }

    private static byte[] page() {
        try (InputStream in = AdminVerticle.class.getResourceAsStream("dashboard.html")) {
            if (in == null) {
                throw new IllegalStateException("dashboard.html missing from the class path");
            }
            return in.readAllBytes();
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Once a second: one snapshot of the last second, kept for late joiners and pushed to every stream. */
    private void tick() {
        final FunnelMetrics.Window window = metrics.takeWindow();
        final FunnelMetrics.Stats stats = metrics.stats();
        final ObjectNode node = JSON.createObjectNode();
        node.put("t", System.currentTimeMillis() / 1000);
        final FunnelMetrics.Stats prev = previous;
        node.put("qps", stats.requests() - prev.requests());
        node.put("errors", sum(stats.errors()) - sum(prev.errors()));
        node.put("rejected", stats.rejected() - prev.rejected());
        node.put("events", stats.events() - prev.events());
        node.put("inFlight", stats.inFlight());
        node.put("draining", hooks.draining());
        node.put("modelVersion", stats.modelVersion());
        final double psi = metrics.predictionPsi();
        if (!Double.isNaN(psi)) {
            node.put("psi", psi);
        }
        final ObjectNode stages = node.putObject("stages");
        window.stages().forEach((name, s) -> latency(stages.putObject(name), s));
        latency(node.putObject("request"), window.request());
        final long[] values = budgets.snapshot();
        final ObjectNode budgetNode = node.putObject("budgets");
        for (final StageId s : StageId.all()) {
            budgetNode.put(s.metricName(), values[s.ordinal()]);
        }
        budgetNode.put("total", values[StageId.all().length]);
        final ObjectNode misses = node.putObject("misses");
        stats.budgetMisses().forEach((k, v) -> misses.put(k, v - prev.budgetMisses().getOrDefault(k, 0L)));
        final ObjectNode degraded = node.putObject("degraded");
        stats.degraded().forEach((k, v) -> degraded.put(k, v - prev.degraded().getOrDefault(k, 0L)));
        final ObjectNode candidates = node.putObject("candidates");
        stats.channelCandidates().forEach((k, v) -> candidates.put(k, v - prev.channelCandidates().getOrDefault(k,
                0L)));
        node.put("eventQueue", stats.eventQueueDepth());
        node.put("rankQueue", metrics.rankQueueDepth());
        final long batches = metrics.rankBatches();
        final long batchRows = metrics.rankBatchRows();
        node.put("batchRows", batches > previousBatches ? (double) (batchRows - previousBatchRows)
                / (batches - previousBatches) : 0.0);
        previousBatches = batches;
        previousBatchRows = batchRows;
        final ObjectNode drift = node.putObject("featurePsi");
        metrics.featurePsi().forEach(drift::put);
        final long[] scores = metrics.scoreHistogram();
        final var scoreArray = node.putArray("scores");
        for (final long c : scores) {
            scoreArray.add(c);
        }
        previous = stats;
        final String json = node.toString();
        history.addLast(json);
        while (history.size() > HISTORY_SECONDS) {
            history.removeFirst();
        }
        final Buffer event = Buffer.buffer("data: " + json + "\n\n");
        for (final HttpServerResponse r : List.copyOf(streams)) {
            if (!r.writeQueueFull()) {
                r.write(event);
            }
        }
    }

    private static long sum(final Map<String, Long> values) {
        long s = 0;
        for (final long v : values.values()) {
            s += v;
        }
        return s;
    }

    private static void latency(final ObjectNode node, final FunnelMetrics.LatencySummary s) {
        node.put("count", s.count());
        node.put("p50", s.p50());
        node.put("p99", s.p99());
        node.put("p999", s.p999());
    }

    private static void json(final HttpServerResponse response, final int status, final String body) {
        response.putHeader("content-type", "application/json").setStatusCode(status).end(body);
    }

    private static void error(final HttpServerResponse response, final int status, final String message) {
        errorField(response, status, message, null);
    }

    private static void errorField(final HttpServerResponse response, final int status, final String message,
            final String field) {
        response.putHeader("content-type", "application/json").setStatusCode(status)
                .end(Buffer.buffer(JsonCodec.encodeError(message, field)));
    }
}
