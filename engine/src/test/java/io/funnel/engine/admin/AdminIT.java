package io.funnel.engine.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.funnel.engine.config.FunnelConfig;
import io.funnel.engine.data.SyntheticGenerator;
import io.funnel.engine.offline.ServingState;
import io.funnel.engine.offline.ServingStateBuilder;
import io.funnel.engine.server.FunnelServer;
import io.vertx.core.Vertx;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/** The admin listener against a real server on free loopback ports; drain runs last. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AdminIT {
    private static final String TOKEN = "alice-secret-token-0123456789";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static Vertx vertx;
    private static FunnelServer server;

    @BeforeAll
    static void start() throws Exception {
        final FunnelConfig config = FunnelConfig.defaults();
        config.server.port = 0;
        config.server.binaryPort = 0; // a free port too: never the default 8082, which another run may hold
        config.server.eventLoops = 1;
        config.admin.port = 0;
        config.admin.tokens.put("alice", TOKEN);
        config.model.bprEpochs = 4;
        // The embedding channel runs on the worker pool here, so a lowered retrieve budget drops it (inline stages
        // cannot be interrupted: they only count budget misses).
        config.channels.ann.offload = true;
        // Pinning on: the event loop and the event applier run on CPU 0 (a refusal would only log a warning).
        config.cpus.eventLoops = List.of(0);
        config.cpus.ingest = List.of(0);
        config.budgets.put("total", "3s");
        config.budgets.put("retrieve", "2s");
        config.validate("test");
        final ServingState state = new ServingStateBuilder(config, line -> { }).build(new SyntheticGenerator()
                .items(2_000).users(1_000).events(30_000).seed(8).endMs(1_763_856_000_000L).generate());
        vertx = Vertx.vertx();
        server = FunnelServer.builder(config, state).start(vertx).await(30, TimeUnit.SECONDS);
        assertTrue(server.adminPort() > 0, "the admin API is on when a token is configured");
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close().await(10, TimeUnit.SECONDS);
        }
        if (vertx != null) {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
    }

    private record Reply(int status, String text) {
        JsonNode json() throws Exception {
            return JSON.readTree(text);
        }
    }

    private static Reply send(final int port, final String method, final String path, final String body,
            final String token) throws Exception {
        final HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body))
                .header("content-type", "application/json");
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        final HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), r.body());
    }

    private static Reply admin(final String method, final String path, final String body) throws Exception {
        return send(server.adminPort(), method, path, body, TOKEN);
    }

    private static Reply recommend() throws Exception {
        return send(server.port(), "POST", "/v1/recommend", "{\"userId\": 7}", null);
    }

    @Test
    @Order(1)
    void everyCallNeedsTheRightToken() throws Exception {
        assertEquals(401, send(server.adminPort(), "GET", "/admin/budgets", null, null).status());
        final Reply wrong = send(server.adminPort(), "GET", "/admin/budgets", null, "not-the-token-at-all");
        assertEquals(403, wrong.status());
        assertTrue(wrong.text().contains("invalid token"));
        assertEquals(401, send(server.adminPort(), "GET", "/dashboard", null, null).status());
        final Reply right = admin("GET", "/admin/budgets", null);
        assertEquals(200, right.status());
        assertEquals(50_000 * 0 + 3_000_000, right.json().get("budgetsMicros").get("total").asLong());
    }

    @Test
    @Order(2)
    void budgetEditsAreValidated() throws Exception {
        final Reply negative = admin("PUT", "/admin/budgets", "{\"rank\": -5}");
        assertEquals(400, negative.status());
        assertTrue(negative.json().get("error").asText().contains("must be positive"), negative.text());
        assertEquals("rank", negative.json().get("field").asText());
        assertEquals(400, admin("PUT", "/admin/budgets", "{\"rank\": 0}").status());
        final Reply tooBig = admin("PUT", "/admin/budgets", "{\"rank\": \"10s\"}");
        assertEquals(400, tooBig.status());
        assertTrue(tooBig.json().get("error").asText().contains("must not exceed the total"), tooBig.text());
        final Reply unknown = admin("PUT", "/admin/budgets", "{\"ranking\": \"5ms\"}");
        assertEquals(400, unknown.status());
        assertTrue(unknown.json().get("error").asText().contains("unknown budget 'ranking'"));
        assertEquals(400, admin("PUT", "/admin/budgets", "{\"rank\": \"fast\"}").status());
        assertEquals(400, admin("PUT", "/admin/budgets", "not json").status());
        // Nothing changed after all those refusals.
        assertEquals(2_000_000, admin("GET", "/admin/budgets", null).json().get("budgetsMicros").get("retrieve")
                .asLong());
    }

    @Test
    @Order(3)
    void aLoweredBudgetDegradesTheStageOnTheNextRequest() throws Exception {
        assertEquals(200, recommend().status());
        final Reply lowered = admin("PUT", "/admin/budgets", "{\"retrieve\": \"1us\"}");
        assertEquals(200, lowered.status(), lowered.text());
        assertEquals(1, lowered.json().get("budgetsMicros").get("retrieve").asLong());
        final Reply degraded = recommend();
        assertEquals(200, degraded.status());
        final List<String> flags = new ArrayList<>();
        JSON.readTree(degraded.text()).get("degraded").forEach(d -> flags.add(d.asText()));
        assertTrue(flags.contains("retrieve.ann"), "the offloaded channel misses a 1 us budget: " + flags);
        assertEquals(200, admin("PUT", "/admin/budgets", "{\"retrieve\": \"2s\"}").status());
        final List<String> after = new ArrayList<>();
        JSON.readTree(recommend().text()).get("degraded").forEach(d -> after.add(d.asText()));
        assertFalse(after.contains("retrieve.ann"), "restored: " + after);
    }

    @Test
    @Order(4)
    void configIsShownWithSecretsMasked() throws Exception {
        final Reply config = admin("GET", "/admin/config", null);
        assertEquals(200, config.status());
        assertFalse(config.text().contains(TOKEN), "the token must not leak");
        assertEquals("***", config.json().get("admin").get("tokens").get("alice").asText());
        assertEquals("diverse", config.json().get("reRank").get("defaultPolicy").asText());
        assertEquals(501, admin("POST", "/admin/models/reload", null).status());
    }

    @Test
    @Order(5)
    void dashboardAndItsDataAreServed() throws Exception {
        for (int i = 0; i < 20; i++) {
            recommend();
        }
        Thread.sleep(2_500); // at least two ticks of the feed
        final Reply page = send(server.adminPort(), "GET", "/dashboard?token=" + TOKEN, null, null);
        assertEquals(200, page.status());
        assertTrue(page.text().contains("uPlot.iife.min.js"));
        assertEquals(200, admin("GET", "/webjars/uplot/1.6.30/dist/uPlot.iife.min.js", null).status(),
                "the plotting library comes from the class path, not a CDN");
        final JsonNode history = admin("GET", "/admin/history", null).json();
        assertTrue(history.size() >= 2, "history: " + history.size());
        long requests = 0;
        for (final JsonNode tick : history) {
            requests += tick.get("qps").asLong();
            assertTrue(tick.get("stages").has("rank"));
            assertTrue(tick.get("budgets").get("total").asLong() > 0);
        }
        assertTrue(requests >= 20, "the feed counted the requests: " + requests);
        final JsonNode last = history.get(history.size() - 1);
        assertTrue(last.get("featurePsi").has("log_popularity"), "input drift is watched: " + last);
        assertTrue(last.has("rankQueue") && last.has("batchRows"));
        screenshotWithChromium();
    }

    /**
     * Opens the dashboard in headless Chromium, waits until live data from the stream has reached every plot,
     * and saves a screenshot under target/.
     */
    private void screenshotWithChromium() throws Exception {
        final String chromium = HeadlessChromium.find();
        Assumptions.assumeTrue(chromium != null, "Chromium not installed (apt-get install chromium); skipping the"
                + " browser check of the dashboard");
        final Path target = Path.of("target").toAbsolutePath();
        Files.createDirectories(target);
        final Path profile = Files.createTempDirectory(target, "chromium-profile");
        final String url = "http://127.0.0.1:" + server.adminPort() + "/dashboard?token=" + TOKEN;
        // Keep traffic flowing while the page watches, so the live stream has something to show.
        final java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        final Thread traffic = new Thread(() -> {
            for (int i = 0; i < 2_000 && !stop.get(); i++) {
                try {
                    recommend();
                    Thread.sleep(20);
                } catch (final Exception e) {
                    return;
                }
            }
        }, "dashboard-traffic");
        traffic.start();
        try (HeadlessChromium browser = new HeadlessChromium(chromium, profile, url)) {
            final String status = "document.getElementById('status')";
            final boolean live = browser.waitFor("!!" + status + " && " + status + ".dataset.plots === '16' && "
                    + "Number(" + status + ".dataset.minPoints) >= 9", Duration.ofSeconds(90));
            final String detail = browser.evaluate("JSON.stringify(Object.assign({error: document.getElementById("
                    + "'error').textContent}, " + status + ".dataset))");
            assertTrue(live, "every plot shows live data points: " + detail);
            assertTrue(browser.evaluate("document.getElementById('model').textContent").length() > 0);
            browser.screenshot(target.resolve("dashboard.png"));
        } finally {
            stop.set(true);
            traffic.join(5_000);
        }
        assertTrue(Files.size(target.resolve("dashboard.png")) > 20_000, "a real screenshot was written");
    }

    @Test
    @Order(6)
    void drainStopsAdmittingAndReportsNotReady() throws Exception {
        assertEquals(200, send(server.port(), "GET", "/health/ready", null, null).status());
        final Reply drain = admin("POST", "/admin/drain", null);
        assertEquals(200, drain.status());
        assertTrue(drain.json().get("draining").asBoolean());
        assertEquals(503, send(server.port(), "GET", "/health/ready", null, null).status());
        final Reply refused = recommend();
        assertEquals(503, refused.status());
        assertTrue(refused.text().contains("draining"));
        assertEquals(200, send(server.port(), "GET", "/health/live", null, null).status(), "still alive");
    }
}
