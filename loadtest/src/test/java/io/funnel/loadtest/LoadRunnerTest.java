package io.funnel.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.funnel.loadtest.http.HttpDriver;
import io.funnel.loadtest.spi.Driver;
import io.funnel.loadtest.spi.DriverOptions;
import io.funnel.loadtest.spi.LoadRequest;
import io.funnel.loadtest.spi.LoadResponse;
import io.funnel.loadtest.spi.Outcome;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LoadRunnerTest {
    @RegisterExtension
    static final LocalServer server = LocalServer.create();

    /**
     * A driver without a network: answers after a fixed delay on one thread and remembers what it was sent, so the
     * runner's own timing and bookkeeping can be checked exactly.
     */
    static final class FakeDriver implements Driver {
        final ScheduledExecutorService io = Executors.newSingleThreadScheduledExecutor();
        final ConcurrentLinkedQueue<LoadRequest> sent = new ConcurrentLinkedQueue<>();
        final ConcurrentLinkedQueue<Long> sentAtNs = new ConcurrentLinkedQueue<>();
        final long delayMs;
        final Outcome outcome;

        FakeDriver(final long delayMs, final Outcome outcome) {
            this.delayMs = delayMs;
            this.outcome = outcome;
        }

        @Override
        public void execute(final Runnable task) {
            io.execute(task);
        }

        @Override
        public void send(final LoadRequest request, final Consumer<LoadResponse> completion) {
            sent.add(request);
            sentAtNs.add(System.nanoTime());
            io.schedule(() -> completion.accept(LoadResponse.failed(outcome, "{\"items\":[{\"itemId\":1}]}")), delayMs,
                    TimeUnit.MILLISECONDS);
        }

        @Override
        public void close() {
            io.shutdownNow();
        }
    }

    @Test
    void sendsAtTheScheduledTimesAndTimesFromThem() {
        try (FakeDriver driver = new FakeDriver(20, Outcome.OK)) {
            final Simulation sim = Simulation.builder("fake")
                    .population(Scenario.named("s").users(UserFeeder.uniform(7, 7))
                            .exec(RequestSpec.recommend(5, ContextFeeder.none()))
                            .inject(Injection.constantRate(100, Duration.ofSeconds(2))))
                    .build();
            final RunResult r = LoadRunner.run(sim, driver);
            assertEquals(200, r.all().requests());
            assertEquals(200, driver.sent.size());
            assertTrue(driver.sent.stream().allMatch(q -> q.equals(new LoadRequest.Recommend(7, 5, -1))));
            // Sends 10 ms apart, as scheduled (within scheduling noise).
            final List<Long> at = new ArrayList<>(driver.sentAtNs);
            final double spanMs = (at.get(at.size() - 1) - at.get(0)) / 1e6;
            assertEquals(1990, spanMs, 60, "first to last send");
            // Every answer came 20 ms after its send, and the send was on time: p50 about 20 ms.
            assertEquals(20, r.all().percentileMs(50), 8);
            assertTrue(r.all().percentileMs(50) >= 20);
            assertEquals(2, r.seconds().size(), 1);
            assertEquals(200, r.seconds().stream().mapToLong(RunResult.Second::started).sum(), 2);
        }
    }

    @Test
    void countsErrorsByKindAndFailedChecks() {
        try (FakeDriver driver = new FakeDriver(1, Outcome.OVERLOADED)) {
            final Simulation sim = Simulation.builder("errors")
                    .population(Scenario.named("s").exec(RequestSpec.ping())
                            .inject(Injection.constantRate(200, Duration.ofSeconds(1))))
                    .build();
            final RunResult r = LoadRunner.run(sim, driver);
            assertEquals(200, r.all().errors());
            assertEquals(0, r.all().ok());
            assertEquals(java.util.Map.of("overloaded", 200L), r.all().errorsByKind());
        }
        try (FakeDriver driver = new FakeDriver(1, Outcome.OK)) {
            final Simulation sim = Simulation.builder("checks")
                    .population(Scenario.named("s").exec(RequestSpec.ping().check(Check.minItems(2)))
                            .inject(Injection.constantRate(200, Duration.ofSeconds(1))))
                    .build();
            final RunResult r = LoadRunner.run(sim, driver);
            assertEquals(java.util.Map.of("check_failed", 200L), r.all().errorsByKind());
        }
    }

    @Test
    void aFullHarnessCountsWhatItCouldNotSend() {
        try (FakeDriver driver = new FakeDriver(5_000, Outcome.OK)) {
            final Simulation sim = Simulation.builder("backlog").maxInFlight(50)
                    .population(Scenario.named("s").exec(RequestSpec.ping())
                            .inject(Injection.constantRate(200, Duration.ofSeconds(1))))
                    .build();
            final RunResult r = LoadRunner.run(sim, driver);
            assertEquals(150, r.all().errorsByKind().get("not_sent"));
            assertEquals(50, r.all().ok());
            assertTrue(r.all().percentileMs(50) >= 5_000, "the 50 that were sent took 5 s");
        }
    }

    @Test
    void pausesDelayTheNextRequestAndWarmupIsNotMeasured() {
        try (FakeDriver driver = new FakeDriver(1, Outcome.OK)) {
            final Simulation sim = Simulation.builder("pauses").warmup(Duration.ofMillis(500))
                    .population(Scenario.named("s").exec(RequestSpec.ping()).pause(Duration.ofMillis(300))
                            .exec(RequestSpec.event("click", 100, 10))
                            .inject(Injection.constantRate(20, Duration.ofSeconds(1))))
                    .build();
            final RunResult r = LoadRunner.run(sim, driver);
            assertEquals(10, r.request("ping").requests(), "only the 10 arrivals after the warm-up count");
            // Events are counted by their own intended time: those of arrivals from 200 ms on fall after the warm-up.
            assertEquals(16, r.request("event").requests());
            assertTrue(driver.sent.stream().filter(q -> q instanceof LoadRequest.Event e)
                    .allMatch(q -> ((LoadRequest.Event) q).itemId() >= 100 && ((LoadRequest.Event) q).itemId() < 110));
            // The event waits for the pause but is timed from the pause's end: about 1 ms, not 300.
            assertTrue(r.request("event").percentileMs(50) < 100, "event p50 " + r.request("event").percentileMs(50));
        }
    }

    @Test
    void realHttpRunHoldsItsRate() {
        final Simulation sim = Simulation.builder("http").warmup(Duration.ofMillis(500))
                .population(Scenario.named("s").exec(RequestSpec.ping().check(Check.status(200)).check(
                        Check.contains("ok"))).inject(Injection.constantRate(400, Duration.ofMillis(2500))))
                .build();
        try (Driver driver = new HttpDriver(server.uri(),
                DriverOptions.defaults())) {
            final RunResult r = LoadRunner.run(sim, driver);
            assertEquals(0, r.all().errors(), r.all().errorsByKind().toString());
            assertEquals(800, r.all().requests(), 2);
            assertEquals(400, r.throughput(), 5);
        }
    }

    @Test
    void h2cRunWorks() {
        final Simulation sim = Simulation.builder("h2c")
                .population(Scenario.named("s").exec(RequestSpec.ping().check(Check.status(200)))
                        .inject(Injection.constantRate(200, Duration.ofSeconds(1))))
                .build();
        try (Driver driver = new HttpDriver(server.uri(),
                DriverOptions.defaults().withProtocol("h2c").withConnections(2))) {
            final RunResult r = LoadRunner.run(sim, driver);
            assertEquals(0, r.all().errors(), r.all().errorsByKind().toString());
            assertEquals(200, r.all().requests(), 2);
        }
    }

    @Test
    void aDeadServerGivesConnectErrors() throws Exception {
        final int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        final Simulation sim = Simulation.builder("dead")
                .population(Scenario.named("s").exec(RequestSpec.ping())
                        .inject(Injection.constantRate(50, Duration.ofSeconds(1))))
                .build();
        try (Driver driver = new HttpDriver(URI.create("http://127.0.0.1:" + port), DriverOptions.defaults())) {
            final RunResult r = LoadRunner.run(sim, driver);
            assertEquals(50, r.all().errors());
            assertTrue(r.all().errorsByKind().containsKey("connect_error"), r.all().errorsByKind().toString());
        }
    }
}
