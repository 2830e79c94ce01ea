package io.funnel.loadtest;

import com.fasterxml.jackson.databind.JsonNode;
import io.funnel.loadtest.spi.Driver;
import java.io.PrintStream;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The capacity search behind {@code funnel load --find-max}: runs the simulation's scenario at a constant rate in
 * steps ({@code rate, rate × factor, …}) until a step breaks the SLO, then bisects between the last rate that held
 * and the first that did not. A step holds when every SLO assertion passes and it delivered at least 95% of the
 * offered requests per second (a server that falls behind without errors does not hold a rate). Blocking; one search
 * per driver at a time.
 */
final class FindMax {
    private static final double DELIVERED = 0.95;

    private final Scenario scenario;
    private final Simulation base;
    private final Driver driver;
    private final List<Assertion> slo;
    private final Duration warmup;
    private final Duration measured;
    private final PrintStream out;
    private final int requestsPerUser;
    private final List<Map<String, Object>> steps = new ArrayList<>();
    private final URI statsTarget;
    private RunResult best;
    private Map<String, Object> bestServer;
    private double bestRate;

    /**
     * The search's result: the highest rate that held (0 if none), its run and Funnel's breakdown of that step
     * ({@code null} without stats), and every step for the report.
     */
    record Outcome(double maxRate, RunResult best, Map<String, Object> bestServer, Map<String, Object> json) {}

    /** A search of {@code simulation}'s one scenario; {@code statsTarget} is scraped around each step, or null. */
    FindMax(final Simulation simulation, final Driver driver, final List<Assertion> slo, final Duration warmup,
            final Duration measured, final URI statsTarget, final PrintStream out) {
        if (simulation.populations().size() != 1) {
            throw new IllegalArgumentException("--find-max needs a simulation with exactly one scenario, got "
                    + simulation.populations().size());
        }
        this.scenario = simulation.populations().get(0).scenario();
        this.base = simulation;
        this.driver = driver;
        this.slo = List.copyOf(slo);
        this.warmup = warmup;
        this.measured = measured;
        this.out = out;
        this.statsTarget = statsTarget;
        this.requestsPerUser = (int) scenario.steps().stream().filter(s -> s instanceof Scenario.Exec).count();
    }

    Outcome run(final double startRate, final double factor, final double maxRate, final int refineSteps)
            throws InterruptedException {
        if (!(startRate >= 1) || !(factor > 1) || refineSteps < 0) {
            throw new IllegalArgumentException("--find-max needs --rate >= 1, --step-factor > 1 and --refine >= 0, got "
                    + startRate + ", " + factor + ", " + refineSteps);
        }
        double rate = startRate;
        double failed = -1;
        while (rate <= maxRate) {
            if (!step(rate)) {
                failed = rate;
                break;
            }
            rate = Math.rint(rate * factor);
        }
        if (failed > 0 && bestRate > 0) {
            double lo = bestRate;
            double hi = failed;
            for (int i = 0; i < refineSteps; i++) {
                final double mid = Math.rint((lo + hi) / 2);
                if (mid <= lo || mid >= hi) {
                    break;
                }
                if (step(mid)) {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
        }
        final Map<String, Object> json = new LinkedHashMap<>();
        json.put("slo", slo.stream().map(Assertion::expression).toList());
        json.put("max_rate", bestRate);
        json.put("step_measured_s", measured.toNanos() / 1e9);
        json.put("steps", steps);
        return new Outcome(bestRate, best, bestServer, json);
    }

    private boolean step(final double rate) throws InterruptedException {
        final Simulation sim = Simulation.builder(base.name() + "@" + LoadCommand.fmtRate(rate) + "/s")
                .population(scenario.inject(Injection.constantRate(rate, warmup.plus(measured))))
                .warmup(warmup).maxInFlight(base.maxInFlight()).seed(base.seed()).build();
        final JsonNode before = statsTarget == null ? null
                : ServerStats.scrape(statsTarget);
        final RunResult r = LoadRunner.run(sim, driver);
        final Map<String, Object> server = statsTarget == null ? null
                : ServerStats.breakdown(before, ServerStats.scrape(statsTarget));
        boolean passed = r.throughput() >= DELIVERED * rate * requestsPerUser;
        for (final Assertion a : slo) {
            passed &= a.evaluate(r).passed();
        }
        final Map<String, Object> row = new LinkedHashMap<>();
        row.put("rate", rate);
        row.put("throughput_rps", Math.round(r.throughput() * 10) / 10.0);
        row.put("p50_ms", r.all().percentileMs(50));
        row.put("p99_ms", r.all().percentileMs(99));
        row.put("p999_ms", r.all().percentileMs(99.9));
        row.put("max_ms", r.all().maxMs());
        row.put("errors", r.all().errors());
        row.put("passed", passed);
        row.put("load_average", ServerStats.loadAverage());
        steps.add(row);
        out.printf(Locale.ROOT, "step %8s/s: %9.1f ok/s  p50 %8.3f  p99 %8.3f  p99.9 %8.3f ms  errors %6d  %s"
                + "  (load average %.2f)%n", LoadCommand.fmtRate(rate), r.throughput(), r.all().percentileMs(50),
                r.all().percentileMs(99), r.all().percentileMs(99.9), r.all().errors(), passed ? "holds" : "fails",
                ServerStats.loadAverage());
        if (passed && rate > bestRate) {
            bestRate = rate;
            best = r;
            bestServer = server;
        }
        TimeUnit.SECONDS.sleep(1); // let queues drain before the next step
        return passed;
    }
}
