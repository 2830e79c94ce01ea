package io.funnel.loadtest;

import io.funnel.loadtest.http.HttpDriver;
import io.funnel.loadtest.spi.Driver;
import io.funnel.loadtest.spi.DriverOptions;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code funnel bench http}: open-model load against a running Funnel, on the {@link LoadRunner} harness. Requests
 * leave at a constant rate whatever the server does, and each latency is measured from the request's
 * <em>intended</em> send time, so a stalled server shows up in the tail instead of silently slowing the load down
 * (no coordinated omission). In the same run, the same rate is sent to a trivial endpoint of the same server
 * ({@code /health/live}) as the HTTP floor to compare with.
 *
 * <p>Bounded by design: it stops after {@code --warmup + --duration} per target and only talks to the target given.
 */
@Command(name = "http", mixinStandardHelpOptions = true,
        description = "Open-model latency of POST /v1/recommend at a fixed rate, against the HTTP floor of the same"
                + " server (GET /health/live) in the same run.")
public final class HttpBenchCommand implements Callable<Integer> {
    @Mixin
    LoadOptions load;

    @Option(names = "--duration", defaultValue = "30", description = "Measured seconds per target (default "
            + "${DEFAULT-VALUE}).")
    int durationSeconds;

    @Option(names = "--no-floor", description = "Skip the /health/live comparison.")
    boolean noFloor;

    @Option(names = "--json", description = "Write the results here.")
    Path json;

    @Override
    public Integer call() throws Exception {
        load.validate();
        final URI target = load.target;
        final int rate = load.rate;
        try (Driver driver = new HttpDriver(target, DriverOptions.defaults().withConnections(load.connections))) {
            final RunResult recommend = run(driver, RequestSpec.recommend(load.count, ContextFeeder.none()));
            print(recommend);
            RunResult floor = null;
            if (!noFloor) {
                floor = run(driver, RequestSpec.ping().named("health_live"));
                print(floor);
                System.out.printf(Locale.ROOT, "ratio recommend/floor: p50 %.2fx, p99 %.2fx%n",
                        recommend.all().percentileMs(50) / floor.all().percentileMs(50),
                        recommend.all().percentileMs(99) / floor.all().percentileMs(99));
            }
            if (json != null) {
                final StringBuilder b = new StringBuilder();
                b.append(String.format(Locale.ROOT, "{\"target\": \"%s\", \"rate\": %d, \"duration_s\": %d,"
                        + " \"users\": %d, \"count\": %d, \"connections\": %d,%n  \"recommend\": %s", target, rate,
                        durationSeconds, load.users, load.count, load.connections, json(recommend)));
                if (floor != null) {
                    b.append(String.format(Locale.ROOT, ",%n  \"health_live\": %s", json(floor)));
                }
                b.append("\n}\n");
                if (json.getParent() != null) {
                    Files.createDirectories(json.getParent());
                }
                Files.writeString(json, b.toString());
            }
            return recommend.all().errors() == 0 ? 0 : 1;
        }
    }

    private RunResult run(final Driver driver, final RequestSpec request) {
        final Simulation sim = Simulation.builder(request.name())
                .population(Scenario.named(request.name()).users(UserFeeder.uniform(1, load.users)).exec(request)
                        .inject(Injection.constantRate(load.rate,
                                Duration.ofSeconds(load.warmupSeconds + durationSeconds))))
                .warmup(Duration.ofSeconds(load.warmupSeconds)).build();
        return LoadRunner.run(sim, driver);
    }

    /** Latencies in microseconds, as docs/benchmarks/http.md reports them. */
    private static String json(final RunResult r) {
        final RunResult.RequestStats s = r.all();
        return String.format(Locale.ROOT, "{\"requests\": %d, \"errors\": %d, \"throughput_rps\": %.1f,"
                + " \"p50_us\": %.0f, \"p90_us\": %.0f, \"p99_us\": %.0f, \"p999_us\": %.0f, \"max_us\": %.0f}",
                s.requests(), s.errors(), r.throughput(), s.percentileMs(50) * 1e3, s.percentileMs(90) * 1e3,
                s.percentileMs(99) * 1e3, s.percentileMs(99.9) * 1e3, s.maxMs() * 1e3);
    }

    private static void print(final RunResult r) {
        final RunResult.RequestStats s = r.all();
        System.out.printf(Locale.ROOT, "%-12s %8d req %6d err %9.1f req/s  p50 %8.0f  p90 %8.0f  p99 %8.0f  p99.9 %8.0f"
                + "  max %8.0f us%n", r.simulation(), s.requests(), s.errors(), r.throughput(), s.percentileMs(50) * 1e3,
                s.percentileMs(90) * 1e3, s.percentileMs(99) * 1e3, s.percentileMs(99.9) * 1e3, s.maxMs() * 1e3);
    }

    /** Runs the benchmark on its own. */
    public static void main(final String[] args) {
        System.exit(new picocli.CommandLine(new HttpBenchCommand()).execute(args));
    }
}
