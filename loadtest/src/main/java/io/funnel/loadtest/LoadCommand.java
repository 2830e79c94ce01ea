package io.funnel.loadtest;

import com.fasterxml.jackson.databind.JsonNode;
import io.funnel.loadtest.spi.Driver;
import io.funnel.loadtest.spi.DriverOptions;
import io.funnel.loadtest.spi.Drivers;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code funnel load}: runs a load test against a Funnel server and writes its report. Either a built-in one-request
 * scenario shaped by the options ({@code --rate 1000 --duration 60s --ramp 10s --users zipf}) or a simulation file
 * ({@code --simulation config/loadtest/browse.yaml}); {@code --find-max} steps the rate up until an SLO breaks.
 * Exit code: 0 when every assertion holds (with {@code --find-max}: when some rate held the SLO), 1 otherwise, 2 for
 * bad input.
 */
@Command(name = "load", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Open-model load test without coordinated omission: latency from each request's intended send"
                + " time, assertions that set the exit code, an HTML report with plots.")
public final class LoadCommand implements Callable<Integer> {
    @Option(names = "--target", defaultValue = "http://127.0.0.1:8080",
            description = "Server: http://host:port (HTTP/1.1 or, with --protocol h2c, HTTP/2) or funnel://host:port (the"
                    + " binary endpoint), default ${DEFAULT-VALUE}.")
    URI target;

    @Option(names = "--simulation", description = "A simulation file (YAML or JSON, see config/loadtest/); the options"
            + " below that shape the built-in scenario are then ignored.")
    Path simulation;

    @Option(names = "--rate", defaultValue = "100", description = "Requests (users) per second (default ${DEFAULT-VALUE};"
            + " with --find-max: the first step).")
    double rate;

    @Option(names = "--duration", defaultValue = "30s", description = "Measured time at --rate (default ${DEFAULT-VALUE}).")
    String duration;

    @Option(names = "--ramp", description = "First rise from 0 to --rate over this time (not measured).")
    String ramp;

    @Option(names = "--warmup", defaultValue = "2s", description = "Unmeasured time at --rate before --duration, for"
            + " the JITs and connections of both sides (default ${DEFAULT-VALUE}; 0s measures from the first request).")
    String warmup;

    @Option(names = "--arrivals", defaultValue = "uniform",
            description = "uniform (evenly spaced) or poisson (exponential gaps), default ${DEFAULT-VALUE}.")
    String arrivals;

    @Option(names = "--closed", description = "Closed model instead: this many users, each sending its next request"
            + " when the previous answer arrives (for comparison: hides stalls).")
    Integer closed;

    @Option(names = "--request", defaultValue = "recommend", description = "recommend, event or ping (default ${DEFAULT-VALUE}).")
    String request;

    @Option(names = "--users", defaultValue = "uniform", description = "User ids: uniform, zipf, or an interactions CSV"
            + " file with a user_id column (default ${DEFAULT-VALUE}).")
    String users;

    @Option(names = "--user-count", defaultValue = "50000", description = "Users 1..N for uniform and zipf (default ${DEFAULT-VALUE}).")
    int userCount;

    @Option(names = "--zipf-exponent", defaultValue = "1.0", description = "Default ${DEFAULT-VALUE}.")
    double zipfExponent;

    @Option(names = "--count", defaultValue = "10", description = "Items per recommendation (default ${DEFAULT-VALUE}).")
    int count;

    @Option(names = "--context-share", defaultValue = "0",
            description = "Share of requests with a category context, 0..1 (default ${DEFAULT-VALUE}).")
    double contextShare;

    @Option(names = "--categories", defaultValue = "40", description = "Categories 0..N-1 for contexts (default ${DEFAULT-VALUE}).")
    int categories;

    @Option(names = "--items-from", defaultValue = "100000", description = "First item id for events (default ${DEFAULT-VALUE}).")
    long itemsFrom;

    @Option(names = "--items", defaultValue = "100000", description = "Item ids for events (default ${DEFAULT-VALUE}).")
    int items;

    @Option(names = "--protocol", defaultValue = "h1", description = "h1 or h2c (default ${DEFAULT-VALUE}).")
    String protocol;

    @Option(names = "--connections", defaultValue = "32", description = "Connections (default ${DEFAULT-VALUE}).")
    int connections;

    @Option(names = "--io-threads", defaultValue = "1", description = "Client event loops (default ${DEFAULT-VALUE}).")
    int ioThreads;

    @Option(names = "--timeout", defaultValue = "10s", description = "Request timeout (default ${DEFAULT-VALUE}).")
    String timeout;

    @Option(names = "--max-in-flight", defaultValue = "10000",
            description = "Requests in flight at most; more count as not_sent errors (default ${DEFAULT-VALUE}).")
    int maxInFlight;

    @Option(names = "--assert", description = "An assertion, repeatable: p99<5ms, recommend.p99.9<20ms, errors<0.1%%,"
            + " throughput>900/s, max<1s, mean<2ms.")
    List<String> assertions = new ArrayList<>();

    @Option(names = "--report", description = "Write DIR/index.html and DIR/summary.json.")
    Path report;

    @Option(names = "--find-max", description = "Step the rate up from --rate until --slo breaks; report the highest"
            + " rate that holds it.")
    boolean findMax;

    @Option(names = "--slo", description = "With --find-max, repeatable (default p99<10ms); errors<1%% is added unless"
            + " an errors assertion is given, and a step must also deliver 95%% of its rate.")
    List<String> slo = new ArrayList<>();

    @Option(names = "--step-duration", defaultValue = "10s", description = "--find-max: measured time per step (default ${DEFAULT-VALUE}).")
    String stepDuration;

    @Option(names = "--step-warmup", defaultValue = "2s", description = "--find-max: unmeasured time per step (default ${DEFAULT-VALUE}).")
    String stepWarmup;

    @Option(names = "--step-factor", defaultValue = "1.5", description = "--find-max: rate multiplier per step (default ${DEFAULT-VALUE}).")
    double stepFactor;

    @Option(names = "--refine", defaultValue = "2", description = "--find-max: bisection steps after the first failure (default ${DEFAULT-VALUE}).")
    int refine;

    @Option(names = "--max-rate", defaultValue = "1000000", description = "--find-max: never offer more (default ${DEFAULT-VALUE}).")
    double maxRate;

    @Option(names = "--no-stats", description = "Do not scrape GET /v1/stats before and after.")
    boolean noStats;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of every random draw (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--quiet", description = "No per-second progress lines.")
    boolean quiet;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** A simulation with where and how to send it. */
    record Plan(Simulation simulation, URI target, DriverOptions driver) {}

    @Override
    public Integer call() throws Exception {
        final Plan plan = plan();
        final PrintStream out = System.out;
        try (Driver driver = Drivers.open(plan.target(), plan.driver())) {
            if (findMax) {
                return findMax(plan, driver, out);
            }
            final JsonNode before = noStats ? null : ServerStats.scrape(plan.target());
            final double loadBefore = ServerStats.loadAverage();
            out.printf(Locale.ROOT, "funnel load: %s against %s (%s, %d connections)%n", plan.simulation().name(),
                    plan.target(), plan.driver().protocol(), plan.driver().connections());
            final RunResult result = LoadRunner.run(plan.simulation(), driver, quiet ? s -> { } : s -> progress(out, s));
            final JsonNode after = noStats ? null : ServerStats.scrape(plan.target());
            final Map<String, Object> settings = settings(plan);
            settings.put("load_average_before", loadBefore);
            settings.put("load_average_after", ServerStats.loadAverage());
            final List<Assertion.Result> verdicts = new ArrayList<>();
            for (final Assertion a : plan.simulation().assertions()) {
                verdicts.add(a.evaluate(result));
            }
            print(out, result, verdicts);
            out.printf(Locale.ROOT, "machine load average: %.2f before, %.2f after%n", loadBefore,
                    settings.get("load_average_after"));
            if (report != null) {
                Report.write(report, result, verdicts, new Report.Extras(plan.target().toString(),
                        ServerStats.breakdown(before, after), null, settings));
                out.println("report: " + report.resolve("index.html") + ", " + report.resolve("summary.json"));
            }
            return verdicts.stream().allMatch(Assertion.Result::passed) ? 0 : 1;
        }
    }

    Plan plan() {
        final DriverOptions driver = new DriverOptions(connections, protocol, ioThreads,
                DurationText.parse(timeout, "--timeout").toMillis());
        final Plan plan;
        if (simulation != null) {
            final boolean targetGiven = spec != null && spec.commandLine().getParseResult() != null
                    && spec.commandLine().getParseResult().hasMatchedOption("--target");
            plan = SimulationFile.load(simulation, targetGiven ? target : null, driver);
        } else {
            plan = new Plan(builtIn(), target, driver);
        }
        if (assertions.isEmpty()) {
            return plan;
        }
        final List<Assertion> all = new ArrayList<>(plan.simulation().assertions());
        for (final String a : assertions) {
            all.add(Assertion.parse(a));
        }
        return new Plan(plan.simulation().withAssertions(all), plan.target(), plan.driver());
    }

    private Simulation builtIn() {
        final Scenario scenario = Scenario.named(request).users(userFeeder()).exec(requestSpec());
        final Duration measured = DurationText.parse(duration, "--duration");
        final Duration warm = DurationText.parse(warmup, "--warmup");
        final Duration rampTime = ramp == null ? Duration.ZERO : DurationText.parse(ramp, "--ramp");
        final Population population;
        if (closed != null) {
            population = scenario.closed(closed, rampTime.plus(warm).plus(measured));
        } else {
            final List<Injection> profile = new ArrayList<>();
            if (!rampTime.isZero()) {
                profile.add(Injection.ramp(0, rate, rampTime));
            }
            final Duration steady = warm.plus(measured);
            profile.add(switch (arrivals) {
                case "uniform" -> Injection.constantRate(rate, steady);
                case "poisson" -> Injection.poisson(rate, steady);
                default -> throw new IllegalArgumentException("--arrivals must be uniform or poisson, got " + arrivals);
            });
            population = scenario.inject(profile);
        }
        return Simulation.builder(request + (closed != null ? "-closed-" + closed : "-" + fmtRate(rate) + "rps"))
                .population(population).warmup(rampTime.plus(warm)).maxInFlight(maxInFlight).seed(seed).build();
    }

    private UserFeeder userFeeder() {
        return switch (users) {
            case "uniform" -> UserFeeder.uniform(1, userCount);
            case "zipf" -> UserFeeder.zipf(userCount, zipfExponent);
            default -> {
                final Path file = Path.of(users);
                if (!java.nio.file.Files.isRegularFile(file)) {
                    throw new IllegalArgumentException("--users must be uniform, zipf or an interactions file; no file "
                            + users);
                }
                yield UserFeeder.fromInteractions(file);
            }
        };
    }

    private RequestSpec requestSpec() {
        return switch (request) {
            case "recommend" -> RequestSpec.recommend(count, contextShare > 0
                    ? ContextFeeder.categories(categories, contextShare) : ContextFeeder.none());
            case "event" -> RequestSpec.event("view", itemsFrom, items);
            case "ping" -> RequestSpec.ping();
            default -> throw new IllegalArgumentException("--request must be recommend, event or ping, got " + request);
        };
    }

    private int findMax(final Plan plan, final Driver driver, final PrintStream out) throws Exception {
        final List<Assertion> sloAssertions = new ArrayList<>();
        for (final String s : slo.isEmpty() ? List.of("p99<10ms") : slo) {
            sloAssertions.add(Assertion.parse(s));
        }
        if (sloAssertions.stream().noneMatch(a -> a.metric() == Assertion.Metric.ERROR_RATIO
                || a.metric() == Assertion.Metric.ERROR_COUNT)) {
            sloAssertions.add(Assertion.parse("errors<1%"));
        }
        final FindMax search = new FindMax(plan.simulation(), driver, sloAssertions,
                DurationText.parse(stepWarmup, "--step-warmup"), DurationText.parse(stepDuration, "--step-duration"),
                noStats ? null : plan.target(), out);
        final FindMax.Outcome outcome = search.run(rate, stepFactor, maxRate, refine);
        out.printf(Locale.ROOT, "highest rate holding %s: %s%n", slo.isEmpty() ? "p99<10ms" : String.join(", ", slo),
                outcome.maxRate() > 0 ? fmtRate(outcome.maxRate()) + " req/s" : "none");
        if (report != null && outcome.best() != null) {
            final List<Assertion.Result> verdicts = new ArrayList<>();
            for (final Assertion a : sloAssertions) {
                verdicts.add(a.evaluate(outcome.best()));
            }
            Report.write(report, outcome.best(), verdicts, new Report.Extras(plan.target().toString(),
                    outcome.bestServer(), outcome.json(), settings(plan)));
            out.println("report: " + report.resolve("index.html") + " (details of the highest passing step)");
        }
        return outcome.maxRate() > 0 ? 0 : 1;
    }

    private Map<String, Object> settings(final Plan plan) {
        final Map<String, Object> s = new LinkedHashMap<>();
        s.put("protocol", plan.driver().protocol());
        s.put("connections", plan.driver().connections());
        s.put("io_threads", plan.driver().ioThreads());
        s.put("simulation_file", simulation == null ? null : simulation.toString());
        s.put("seed", plan.simulation().seed());
        return s;
    }

    static void progress(final PrintStream out, final RunResult.Second s) {
        out.printf(Locale.ROOT, "  %4ds  started %7d  ok %7d  err %5d  p50 %8.3f  p99 %8.3f  max %8.3f ms%n",
                s.second() + 1, s.started(), s.ok(), s.errors(), s.p50Ms(), s.p99Ms(), s.maxMs());
    }

    static void print(final PrintStream out, final RunResult r, final List<Assertion.Result> verdicts) {
        out.printf(Locale.ROOT, "%-12s %9s %7s %10s %9s %9s %9s %9s %9s%n", "request", "requests", "errors",
                "req/s", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms");
        final List<RunResult.RequestStats> rows = new ArrayList<>(r.byRequest());
        if (rows.size() > 1) {
            rows.add(r.all());
        }
        for (final RunResult.RequestStats s : rows) {
            out.printf(Locale.ROOT, "%-12s %9d %7d %10.1f %9.3f %9.3f %9.3f %9.3f %9.3f%n", s.name(), s.requests(),
                    s.errors(), s.ok() / r.measuredSeconds(), s.percentileMs(50), s.percentileMs(90),
                    s.percentileMs(99), s.percentileMs(99.9), s.maxMs());
        }
        if (r.all().errors() > 0) {
            out.println("errors by kind: " + r.all().errorsByKind());
        }
        if (!r.closedModel()) {
            out.printf(Locale.ROOT, "harness lag (start vs schedule): p99 %.3f ms, max %.3f ms%n",
                    r.lagNs().getValueAtPercentile(99) / 1e6, r.lagNs().getMaxValue() / 1e6);
        }
        for (final Assertion.Result v : verdicts) {
            out.println(v.describe());
        }
    }

    static String fmtRate(final double r) {
        return r == Math.rint(r) ? String.valueOf((long) r) : String.format(Locale.ROOT, "%.1f", r);
    }

    /**
     * The command on its own (outside {@code funnel}), with the same exit codes: bad input prints one line and
     * exits 2.
     */
    public static CommandLine commandLine() {
        final CommandLine cli = new CommandLine(new LoadCommand());
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            if (e instanceof IllegalArgumentException) {
                commandLine.getErr().println("funnel load: " + e.getMessage());
                return 2;
            }
            throw e;
        });
        return cli;
    }

    /** Runs the command on its own. */
    public static void main(final String[] args) {
        System.exit(commandLine().execute(args));
    }
}
