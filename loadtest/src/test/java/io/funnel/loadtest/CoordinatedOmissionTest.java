package io.funnel.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.funnel.loadtest.http.HttpDriver;
import io.funnel.loadtest.spi.Driver;
import io.funnel.loadtest.spi.DriverOptions;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The reason the harness exists: a server that freezes for 200 ms every 1.5 s. The open model keeps sending during
 * each freeze and times every request from its intended send time, so the freezes fill its tail; a closed loop
 * waits for the stuck answer, sends nothing meanwhile and records one slow request per freeze, which its p99.9 does
 * not see. Bounded: 127.0.0.1, about 12 s.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CoordinatedOmissionTest {
    private static final long STALL_MS = 200;
    private static final long EVERY_MS = 1_500;
    @RegisterExtension
    static final LocalServer server = LocalServer.singleLoop();

    @BeforeAll
    static void stallNowAndThen() {
        // The stall runs on the server's only event loop: nothing is answered while it sleeps.
        server.vertx.runOnContext(v -> server.vertx.setPeriodic(EVERY_MS, id -> sleep(STALL_MS)));
    }

    private static void sleep(final long ms) {
        try {
            Thread.sleep(ms);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static RunResult run(final Population population) {
        final Simulation sim = Simulation.builder("co").population(population).warmup(Duration.ofSeconds(1)).build();
        try (Driver driver = new HttpDriver(server.uri(),
                DriverOptions.defaults().withConnections(64))) {
            return LoadRunner.run(sim, driver);
        }
    }

    @Test
    void openModelShowsTheStallsThatAClosedLoopHides() {
        final Scenario ping = Scenario.named("ping").exec(RequestSpec.ping());
        final RunResult open = run(ping.inject(Injection.constantRate(500, Duration.ofSeconds(5))));
        final RunResult closed = run(ping.closed(1, Duration.ofSeconds(5)));

        System.out.printf(java.util.Locale.ROOT, "open   %d requests: p50 %.3f p99 %.3f p99.9 %.3f max %.3f ms%n"
                + "closed %d requests: p50 %.3f p99 %.3f p99.9 %.3f max %.3f ms%n", open.all().requests(),
                open.all().percentileMs(50), open.all().percentileMs(99), open.all().percentileMs(99.9),
                open.all().maxMs(), closed.all().requests(), closed.all().percentileMs(50),
                closed.all().percentileMs(99), closed.all().percentileMs(99.9), closed.all().maxMs());
        assertEquals(0, open.all().errors(), "no errors: " + open.all().errorsByKind());
        assertEquals(0, closed.all().errors(), "no errors: " + closed.all().errorsByKind());
        // Both runs met stalls (the closed loop's max shows one)...
        assertTrue(open.all().maxMs() >= 150, "open max " + open.all().maxMs());
        assertTrue(closed.all().maxMs() >= 150, "closed max " + closed.all().maxMs());
        // ...about 100 of every 750 open-model requests are caught in one, so its p99 and p99.9 are the stall...
        assertTrue(open.all().percentileMs(99.9) >= 150, "open p99.9 " + open.all().percentileMs(99.9));
        assertTrue(open.all().percentileMs(99) >= 100, "open p99 " + open.all().percentileMs(99));
        // ...while the closed loop recorded about one slow request per stall among thousands: its tail looks fine.
        assertTrue(closed.all().requests() > 3_000, "closed loop requests " + closed.all().requests());
        assertTrue(closed.all().percentileMs(99.9) < 50, "closed p99.9 " + closed.all().percentileMs(99.9));
        assertTrue(open.all().percentileMs(99.9) > 3 * closed.all().percentileMs(99.9));
        // And the open model did send at its rate through the stalls (4 s measured at 500/s).
        assertEquals(2000, open.all().requests(), 5);
        assertTrue(open.closedModel() == false && closed.closedModel());
    }
}
