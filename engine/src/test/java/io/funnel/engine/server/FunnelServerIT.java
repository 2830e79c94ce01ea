package io.funnel.engine.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.funnel.engine.config.FunnelConfig;
import io.funnel.engine.data.Dataset;
import io.funnel.engine.offline.Channels;
import io.funnel.engine.offline.ServingState;
import io.funnel.engine.retrieval.Channel;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Starts a real server on a free loopback port over a small generated catalog and talks HTTP to it. Every request
 * here is bounded (a few dozen in all) and the servers stop at the end.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class FunnelServerIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static Vertx vertx;
    private static HttpClient client;
    private static Dataset data;
    private static ServingState state;
    private static FunnelServer server;

    private static ServerFixtures.Running running;

    @BeforeAll
    static void start() throws Exception {
        running = ServerFixtures.Running.start();
        data = running.data();
        state = running.state();
        vertx = running.vertx();
        server = running.server();
        client = vertx.createHttpClient();
    }

    private static FunnelConfig config() {
        return ServerFixtures.config();
    }

    @AfterAll
    static void stop() throws Exception {
        if (running != null) {
            running.close();
        }
    }

    private record Reply(int status, JsonNode parsed, String text) {
        /** The JSON body; fails with the status and the raw text when there is none. */
        JsonNode body() {
            if (parsed == null) {
                throw new AssertionError("expected a JSON body, got status " + status + " and '" + text + "'");
            }
            return parsed;
        }
    }

    private static Reply call(final FunnelServer target, final HttpMethod method, final String path,
            final String body) throws Exception {
        // The whole chain is built on a Vert.x context: a listener attached from the test thread could arrive after
        // the response body was already delivered, and read it as empty.
        final io.vertx.core.Promise<Reply> promise = io.vertx.core.Promise.promise();
        vertx.getOrCreateContext().runOnContext(v -> client.request(method, target.port(), "127.0.0.1", path)
                .compose(req -> {
                    req.putHeader("content-type", "application/json");
                    return body == null ? req.send() : req.send(Buffer.buffer(body));
                })
                .compose((HttpClientResponse resp) -> resp.body().map(b -> {
                    final String text = b.toString();
                    JsonNode node = null;
                    if (text.startsWith("{")) {
                        try {
                            node = JSON.readTree(text);
                        } catch (final Exception e) {
                            throw new IllegalStateException("not JSON: " + text, e);
                        }
                    }
                    return new Reply(resp.statusCode(), node, text);
                }))
                .onComplete(promise));
        return promise.future().await(30, TimeUnit.SECONDS);
    }

    private static Reply post(final String path, final String body) throws Exception {
        return call(server, HttpMethod.POST, path, body);
    }

    private static List<Long> items(final Reply reply) {
        final List<Long> out = new ArrayList<>();
        reply.body().get("items").forEach(item -> out.add(item.get("itemId").asLong()));
        return out;
    }

    /** The most active user in the data: enough history for personalisation to show. */
    private static long activeUser() {
        final java.util.Map<Long, Integer> counts = new java.util.HashMap<>();
        for (int e = 0; e < data.size(); e++) {
            counts.merge(data.userId(e), 1, Integer::sum);
        }
        return counts.entrySet().stream().max(java.util.Map.Entry.comparingByValue()).orElseThrow().getKey();
    }

    private double categoryShare(final List<Long> itemIds, final Set<Integer> categories) {
        int hits = 0;
        for (final long id : itemIds) {
            if (categories.contains(state.attributes().category(state.store().ordinalOf(id)))) {
                hits++;
            }
        }
        return itemIds.isEmpty() ? 0 : (double) hits / itemIds.size();
    }

    @Test
    void knownUserGetsAPersonalisedAnswerThatFollowsTheirClicks() throws Exception {
        final long user = activeUser();
        final Reply personal = post("/v1/recommend", "{\"userId\": " + user + ", \"count\": 20}");
        final Reply cold = post("/v1/recommend", "{\"userId\": 987654321, \"count\": 20}");
        assertEquals(200, personal.status(), personal.text());
        assertEquals(200, cold.status(), cold.text());
        assertFalse(personal.body().get("coldStart").asBoolean());
        assertTrue(cold.body().get("coldStart").asBoolean(), "an unknown user is a cold start, not an error");
        assertEquals(20, items(personal).size());
        assertEquals(20, items(cold).size());
        assertNotEquals(Set.copyOf(items(cold)), Set.copyOf(items(personal)),
                "a known user's answer must differ from the popular list");

        // "Follows its clicks": the answer leans to the categories of the user's recent items more than the
        // popular list does.
        final Set<Integer> recentCategories = new HashSet<>();
        int seen = 0;
        for (int e = data.size() - 1; e >= 0 && seen < 10; e--) {
            if (data.userId(e) == user) {
                recentCategories.add(data.category(data.item(e)));
                seen++;
            }
        }
        final double personalShare = categoryShare(items(personal), recentCategories);
        final double coldShare = categoryShare(items(cold), recentCategories);
        assertTrue(personalShare > coldShare, "share of the user's recent categories: personalised "
                + personalShare + " vs popular " + coldShare);

        // Nothing the user already interacted with comes back.
        final int[] seenOrdinals = state.seen().get(user);
        for (final long id : items(personal)) {
            assertTrue(java.util.Arrays.binarySearch(seenOrdinals, state.store().ordinalOf(id)) < 0,
                    "item " + id + " was already seen by user " + user);
        }
    }

    @Test
    void eventsChangeTheNextAnswer() throws Exception {
        final long user = 55_555_555L;
        final Reply before = post("/v1/recommend", "{\"userId\": " + user + ", \"count\": 20}");
        assertTrue(before.body().get("coldStart").asBoolean());
        // Click five items of one small category.
        final int category = 17;
        final List<Long> clicked = new ArrayList<>();
        for (int i = 0; i < data.itemCount() && clicked.size() < 5; i++) {
            if (data.category(i) == category && data.inStock(i)) {
                clicked.add(data.itemId(i));
            }
        }
        final StringBuilder events = new StringBuilder("{\"events\": [");
        for (int i = 0; i < clicked.size(); i++) {
            events.append(i == 0 ? "" : ",").append("{\"userId\": ").append(user).append(", \"itemId\": ")
                    .append(clicked.get(i)).append(", \"type\": \"click\"}");
        }
        events.append("]}");
        final Reply ack = post("/v1/events", events.toString());
        assertEquals(200, ack.status(), ack.text());
        assertEquals(clicked.size(), ack.body().get("accepted").asInt());

        final Reply after = post("/v1/recommend", "{\"userId\": " + user + ", \"count\": 20}");
        assertEquals(200, after.status(), after.text());
        assertFalse(after.body().get("coldStart").asBoolean(), "after events the user is known");
        assertNotEquals(items(before), items(after));
        for (final long id : clicked) {
            assertFalse(items(after).contains(id), "clicked item " + id + " must be filtered as seen");
        }
        assertTrue(categoryShare(items(after), Set.of(category)) > categoryShare(items(before), Set.of(category)),
                "the answer moves towards the clicked category");
    }

    @Test
    void aChannelSlowerThanItsBudgetIsDroppedAndFlagged() throws Exception {
        final FunnelConfig config = config();
        config.budgets.put("total", "400ms");
        config.budgets.put("retrieve", "100ms");
        config.validate("test");
        final List<Channel> channels = new ArrayList<>(Channels.create(state, config, true));
        channels.add(new ServerFixtures.SlowChannel());
        final FunnelServer slow = FunnelServer.builder(config, state).channels(channels).start(vertx)
                .await(30, TimeUnit.SECONDS);
        try {
            final long start = System.nanoTime();
            final Reply reply = call(slow, HttpMethod.POST, "/v1/recommend", "{\"userId\": " + activeUser() + "}");
            final long elapsedMs = (System.nanoTime() - start) / 1_000_000;
            assertEquals(200, reply.status(), reply.text());
            assertEquals(10, items(reply).size(), "the answer still arrives, from the other channels");
            final List<String> degraded = new ArrayList<>();
            reply.body().get("degraded").forEach(d -> degraded.add(d.asText()));
            assertTrue(degraded.contains("retrieve.slow"), "degraded: " + degraded);
            assertTrue(reply.body().get("tookMicros").asLong() <= 400_000,
                    "server time within the 400 ms total budget: " + reply.body().get("tookMicros"));
            assertTrue(elapsedMs < 1_500, "the client did not wait for the 1.5 s channel: " + elapsedMs + " ms");
            final Reply stats = call(slow, HttpMethod.GET, "/v1/stats", null);
            assertTrue(stats.body().get("degraded").get("retrieve.slow").asLong() >= 1);
        } finally {
            slow.close().await(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void badInputGetsAClearClientErrorAndTheServerKeepsServing() throws Exception {
        assertError(post("/v1/recommend", "{\"userId\": 1,"), 400, null, "malformed JSON");
        assertError(post("/v1/recommend", "{\"userId\": 1, \"count\": \"ten\"}"), 400, "count", "integer");
        assertError(post("/v1/recommend", "{\"userId\": 1, \"count\": 5000}"), 400, "count", "1..500");
        assertError(post("/v1/recommend", "{\"count\": 5}"), 400, "userId", "required");
        assertError(post("/v1/recommend", "{\"userId\": 1, \"cuont\": 5}"), 400, "cuont", "unknown field");
        assertError(post("/v1/recommend", "[1,2]"), 400, null, "JSON object");
        assertError(post("/v1/recommend", ""), 400, null, "empty");
        assertError(post("/v1/recommend", "{\"userId\": 1, \"pad\": \"" + "x".repeat(70_000) + "\"}"), 413, null,
                "larger than");
        assertError(post("/v1/events", "{\"events\": [{\"userId\": 1, \"itemId\": " + data.itemId(0)
                + ", \"type\": \"stare\"}]}"), 400, "events[0].type", "view, click, like, purchase");
        assertError(post("/v1/events", "{\"events\": [{\"userId\": 1, \"itemId\": 1, \"type\": \"click\"}]}"), 422,
                "events[0].itemId", "not in the catalog");
        assertError(post("/v1/events", "{\"events\": [{\"itemId\": 5, \"type\": \"click\"}]}"), 400,
                "events[0].userId", "required");
        assertError(post("/v1/recommend", "{\"userId\": 1, \"policy\": \"shiny\"}"), 400, "policy",
                "known policies are");
        assertEquals(404, call(server, HttpMethod.GET, "/v2/nothing", null).status());
        // Still serving.
        assertEquals(200, post("/v1/recommend", "{\"userId\": 1}").status());
        assertEquals(200, call(server, HttpMethod.GET, "/health/ready", null).status());
    }

    private static void assertError(final Reply reply, final int status, final String field, final String text) {
        assertEquals(status, reply.status(), reply.text());
        final String message = reply.body().get("error").asText();
        assertTrue(message.contains(text), "error '" + message + "' should mention '" + text + "'");
        if (field != null) {
            assertEquals(field, reply.body().get("field").asText(), reply.text());
        }
    }

    @Test
    void aRequestPicksItsPolicyAndExplorationIsAttributed() throws Exception {
        final long user = activeUser();
        final Reply explore = post("/v1/recommend", "{\"userId\": " + user + ", \"count\": 10, \"policy\": \"explore\"}");
        assertEquals(200, explore.status(), explore.text());
        assertEquals("explore", explore.body().get("policy").asText());
        int explored = 0;
        for (final JsonNode item : explore.body().get("items")) {
            if (item.path("exploration").asBoolean(false)) {
                explored++;
            }
        }
        assertEquals(1, explored, "one exploration slot, flagged in the attribution: " + explore.text());
        final Reply relevance = post("/v1/recommend", "{\"userId\": " + user + ", \"policy\": \"relevance\"}");
        assertEquals("relevance", relevance.body().get("policy").asText());
        final Reply stats = call(server, HttpMethod.GET, "/v1/stats", null);
        assertTrue(stats.body().get("reRankSteps").has("exploration"), stats.text());
    }

    @Test
    void tooManyRequestsInFlightGet503Quickly() throws Exception {
        final FunnelConfig config = config();
        config.server.maxInFlight = 1;
        config.budgets.put("total", "1s");
        config.budgets.put("retrieve", "1s");
        config.validate("test");
        final List<Channel> channels = new ArrayList<>(Channels.create(state, config, true));
        channels.add(new ServerFixtures.SlowChannel());
        final FunnelServer limited = FunnelServer.builder(config, state).channels(channels).start(vertx)
                .await(30, TimeUnit.SECONDS);
        try {
            final java.util.concurrent.CompletableFuture<Reply> first =
                    java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                        try {
                            return call(limited, HttpMethod.POST, "/v1/recommend", "{\"userId\": 1}");
                        } catch (final Exception e) {
                            throw new IllegalStateException(e);
                        }
                    });
            ServerFixtures.awaitInFlight(limited, 1); // the first request is now waiting on the slow channel
            final Reply second = call(limited, HttpMethod.POST, "/v1/recommend", "{\"userId\": 2}");
            assertEquals(503, second.status(), second.text());
            assertTrue(second.body().get("error").asText().contains("in flight"));
            assertEquals(200, first.get(30, TimeUnit.SECONDS).status());
        } finally {
            limited.close().await(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void speaksHttp2OverCleartext() throws Exception {
        final HttpClient h2 = vertx.createHttpClient(new io.vertx.core.http.HttpClientOptions()
                .setProtocolVersion(io.vertx.core.http.HttpVersion.HTTP_2)
                .setHttp2ClearTextUpgrade(false)); // prior knowledge: HTTP/2 from the first byte
        try {
            final io.vertx.core.Promise<String> version = io.vertx.core.Promise.promise();
            vertx.getOrCreateContext().runOnContext(v -> h2.request(HttpMethod.POST, server.port(), "127.0.0.1",
                            "/v1/recommend")
                    .compose(req -> req.send(Buffer.buffer("{\"userId\": 1}")))
                    .compose(resp -> resp.body().map(b -> resp.version() + " " + resp.statusCode() + " "
                            + b.toString().startsWith("{\"userId\":1")))
                    .onComplete(version));
            assertEquals("HTTP_2 200 true", version.future().await(30, TimeUnit.SECONDS));
        } finally {
            h2.close().await(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void metricsAndStatsCarryPerStageLatency() throws Exception {
        for (int i = 0; i < 5; i++) {
            assertEquals(200, post("/v1/recommend", "{\"userId\": " + (i + 1) + "}").status());
        }
        final Reply metrics = call(server, HttpMethod.GET, "/metrics", null);
        assertEquals(200, metrics.status());
        for (final String stage : List.of("hydrate_user", "retrieve", "merge", "filter", "hydrate_items", "pre_rank",
                "rank", "re_rank")) {
            assertTrue(metrics.text().contains("funnel_stage_latency_seconds_bucket{stage=\"" + stage + "\",le=\""),
                    "histogram for " + stage);
        }
        assertTrue(metrics.text().contains("funnel_requests_total"));
        final Reply stats = call(server, HttpMethod.GET, "/v1/stats", null);
        final JsonNode rank = stats.body().get("stages").get("rank");
        assertTrue(rank.get("count").asLong() >= 5);
        assertTrue(rank.get("p99").asDouble() >= rank.get("p50").asDouble());
        assertTrue(stats.body().get("budgetsMicros").get("total").asLong() > 0);
    }
}
