package io.funnel.loadtest.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.funnel.loadtest.spi.DriverOptions;
import io.funnel.loadtest.spi.LoadRequest;
import io.funnel.loadtest.spi.LoadResponse;
import io.funnel.loadtest.spi.Outcome;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import java.net.URI;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The driver's two HTTP paths (the HTTP/1.1 codec and the h2c client) against a Vert.x server on 127.0.0.1. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HttpDriverTest {
    private static Vertx vertx;
    private static HttpServer server;

    @BeforeAll
    static void start() throws Exception {
        vertx = Vertx.vertx();
        server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0))
                .requestHandler(req -> req.body().onSuccess(body -> {
                    switch (req.path()) {
                        // Echoes what the driver sent, in chunks.
                        case "/v1/recommend" -> req.response().setChunked(true).putHeader("x-method", req.method().name())
                                .write("{\"got\":").compose(v -> req.response().end(body.toString() + "}"));
                        case "/v1/events" -> req.response().setStatusCode(422).end("{\"error\":\"bad item\"}");
                        case "/health/live" -> {
                            if (req.version() != io.vertx.core.http.HttpVersion.HTTP_2) {
                                req.response().putHeader("connection", "close");
                            }
                            req.response().end("ok");
                        }
                        default -> { } // never answers: /slow/...
                    }
                }))
                .listen().await(10, TimeUnit.SECONDS);
    }

    @AfterAll
    static void stop() throws Exception {
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    private static LoadResponse call(final HttpDriver driver, final LoadRequest request) throws Exception {
        final CompletableFuture<LoadResponse> f = new CompletableFuture<>();
        driver.execute(() -> driver.send(request, f::complete));
        return f.get(20, TimeUnit.SECONDS);
    }

    @ParameterizedTest
    @ValueSource(strings = {"h1", "h2c"})
    void sendsFunnelsRequestsAndReadsTheAnswers(final String protocol) throws Exception {
        try (HttpDriver driver = new HttpDriver(URI.create("http://127.0.0.1:" + server.actualPort()),
                DriverOptions.defaults().withProtocol(protocol).withConnections(2))) {
            for (int i = 0; i < 3; i++) { // several requests reuse the kept-alive connections
                final LoadResponse r = call(driver, new LoadRequest.Recommend(42, 10, 3));
                assertEquals(Outcome.OK, r.outcome());
                assertEquals(200, r.status());
                assertEquals("{\"got\":{\"userId\":42,\"count\":10,\"context\":{\"category\":3}}}", r.text());
            }
            assertEquals("{\"got\":{\"userId\":7,\"count\":5}}",
                    call(driver, new LoadRequest.Recommend(7, 5, LoadRequest.Recommend.NO_CATEGORY)).text());
            final LoadResponse event = call(driver, new LoadRequest.Event(42, 100_001, "click"));
            assertEquals(Outcome.CLIENT_ERROR, event.outcome());
            assertEquals(422, event.status());
            // The server closes after each /health/live answer: the next request needs and gets a new connection.
            for (int i = 0; i < 3; i++) {
                final LoadResponse ping = call(driver, LoadRequest.Ping.INSTANCE);
                assertEquals(Outcome.OK, ping.outcome(), ping.text());
                assertEquals("ok", ping.text());
            }
        }
    }

    @Test
    void aRequestWithoutAnswerTimesOut() throws Exception {
        final URI silent = URI.create("http://127.0.0.1:" + server.actualPort() + "/slow");
        try (HttpDriver driver = new HttpDriver(silent, new DriverOptions(1, "h1", 1, 300))) {
            final long start = System.nanoTime();
            final LoadResponse r = call(driver, LoadRequest.Ping.INSTANCE);
            assertEquals(Outcome.TIMEOUT, r.outcome());
            final long ms = (System.nanoTime() - start) / 1_000_000;
            assertTrue(ms >= 300 && ms < 2_000, "timed out after " + ms + " ms");
        }
    }

    @Test
    void statusesAreClassified() {
        assertEquals(List.of(Outcome.OK, Outcome.OK, Outcome.CLIENT_ERROR, Outcome.OVERLOADED, Outcome.OVERLOADED,
                Outcome.SERVER_ERROR), List.of(200, 204, 400, 429, 503, 500).stream().map(HttpDriver::classify).toList());
    }
}
