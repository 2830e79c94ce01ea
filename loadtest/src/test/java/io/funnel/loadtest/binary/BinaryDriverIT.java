package io.funnel.loadtest.binary;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.funnel.engine.data.Dataset;
import io.funnel.engine.offline.ServingState;
import io.funnel.engine.offline.ServingStateBuilder;
import io.funnel.engine.server.FunnelServer;
import io.funnel.engine.server.ServerFixtures;
import io.funnel.loadtest.Check;
import io.funnel.loadtest.ContextFeeder;
import io.funnel.loadtest.Injection;
import io.funnel.loadtest.LoadRunner;
import io.funnel.loadtest.RequestSpec;
import io.funnel.loadtest.RunResult;
import io.funnel.loadtest.Scenario;
import io.funnel.loadtest.Simulation;
import io.funnel.loadtest.UserFeeder;
import io.funnel.loadtest.spi.Driver;
import io.funnel.loadtest.spi.DriverOptions;
import io.funnel.loadtest.spi.Drivers;
import io.funnel.loadtest.spi.LoadRequest;
import io.funnel.loadtest.spi.LoadResponse;
import io.funnel.loadtest.spi.Outcome;
import io.vertx.core.Vertx;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The harness over the binary endpoint of a real Funnel server on 127.0.0.1: same simulations, other protocol. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class BinaryDriverIT {
    private static Vertx vertx;
    private static FunnelServer server;
    private static Dataset catalog;

    @BeforeAll
    static void start() throws Exception {
        catalog = ServerFixtures.catalog();
        final var config = ServerFixtures.config();
        final ServingState state = new ServingStateBuilder(config, line -> { }).build(catalog);
        vertx = Vertx.vertx();
        server = FunnelServer.builder(config, state).start(vertx).await(30, TimeUnit.SECONDS);
    }

    @AfterAll
    static void stop() throws Exception {
        server.close().await(10, TimeUnit.SECONDS);
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    private static URI target() {
        return URI.create("funnel://127.0.0.1:" + server.binaryPort());
    }

    @Test
    void anOpenModelRunOverTheBinaryProtocolGetsEveryAnswer() {
        final Simulation sim = Simulation.builder("binary-it").warmup(Duration.ofMillis(500))
                .population(Scenario.named("users").users(UserFeeder.uniform(1, 1_500))
                        .exec(RequestSpec.recommend(10, ContextFeeder.none()).check(Check.contains("\"items\"")))
                        .exec(RequestSpec.event("click", catalog.itemId(0), 1))
                        .inject(Injection.constantRate(200, Duration.ofSeconds(3))))
                .build();
        final RunResult run;
        try (Driver driver = Drivers.open(target(), DriverOptions.defaults().withConnections(2))) {
            assertInstanceOf(BinaryDriver.class, driver, "funnel:// is the binary driver's scheme");
            run = LoadRunner.run(sim, driver);
        }
        assertTrue(run.request("recommend").requests() >= 300, "recommend requests: " + run.request("recommend"));
        assertEquals(0, run.request("recommend").errors(), "errors: " + run.request("recommend").errorsByKind());
        assertEquals(0, run.request("event").errors(), "errors: " + run.request("event").errorsByKind());
        assertTrue(run.request("event").requests() >= 300, "events sent: " + run.request("event"));
    }

    @Test
    void errorFramesBecomeOutcomesByStatus() throws Exception {
        try (Driver driver = Drivers.open(target(), DriverOptions.defaults().withConnections(1))) {
            final CompletableFuture<LoadResponse> unknownItem = new CompletableFuture<>();
            driver.execute(() -> driver.send(new LoadRequest.Event(1, 999_999_999L, "click"), unknownItem::complete));
            final LoadResponse bad = unknownItem.get(20, TimeUnit.SECONDS);
            assertEquals(Outcome.CLIENT_ERROR, bad.outcome(), bad.text());
            assertEquals(422, bad.status());
            assertTrue(bad.text().contains("itemId"), bad.text());
        }
    }

    @Test
    void anUnreachableTargetIsNamed() {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Drivers.open(URI.create("funnel://127.0.0.1:1"), DriverOptions.defaults()));
        assertTrue(e.getMessage().contains("funnel://127.0.0.1:1"), e.getMessage());
    }
}
