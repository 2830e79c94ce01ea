package io.funnel.loadtest;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a run's report: {@code summary.json} (the figures, for machines and CI) and {@code index.html}, one
 * self-contained page (the uPlot library and its CSS are inlined from the WebJar: no CDN, no other file) with the
 * percentile distribution, latency and throughput over time, errors by kind, Funnel's per-stage breakdown and the
 * assertions. Blocking file I/O; call off the I/O threads.
 */
public final class Report {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final String UPLOT = "META-INF/resources/webjars/uplot/1.6.30/dist/";
    /** Percentiles drawn in the distribution: 0, 50, 75, and 100·(1 - 10^(-k/4)) up to 99.999 (90, 99, 99.9, …). */
    private static final double[] GRID = grid();

    private Report() {}

    /** Everything a report shows besides the run itself; each part may be {@code null}. */
    public record Extras(String target, Map<String, Object> server, Map<String, Object> findMax,
            Map<String, Object> settings) {}

    /** The summary as a JSON-ready map, with the fields {@code summary.json} promises. */
    public static Map<String, Object> summary(final RunResult run, final List<Assertion.Result> verdicts,
            final Extras extras) {
        final Map<String, Object> s = new LinkedHashMap<>();
        s.put("simulation", run.simulation());
        s.put("target", extras.target());
        s.put("started", Instant.ofEpochMilli(run.startEpochMs()).toString());
        s.put("measured_s", run.measuredSeconds());
        s.put("model", run.closedModel() ? "closed" : "open");
        s.putAll(figures(run.all(), run.measuredSeconds()));
        s.put("harness_lag_ms", Map.of("p99", round(ms(run.lagNs().getValueAtPercentile(99))), "max",
                round(ms(run.lagNs().getMaxValue()))));
        final Map<String, Object> byRequest = new LinkedHashMap<>();
        for (final RunResult.RequestStats r : run.byRequest()) {
            byRequest.put(r.name(), figures(r, run.measuredSeconds()));
        }
        s.put("by_request", byRequest);
        final List<Map<String, Object>> assertions = new ArrayList<>();
        boolean passed = true;
        for (final Assertion.Result v : verdicts) {
            final Map<String, Object> a = new LinkedHashMap<>();
            a.put("expression", v.assertion().expression());
            a.put("actual", v.assertion().format(v.actual()));
            a.put("passed", v.passed());
            assertions.add(a);
            passed &= v.passed();
        }
        s.put("assertions", assertions);
        s.put("passed", passed);
        if (extras.settings() != null) {
            s.put("settings", extras.settings());
        }
        if (extras.server() != null) {
            s.put("server", extras.server());
        }
        if (extras.findMax() != null) {
            s.put("find_max", extras.findMax());
        }
        return s;
    }

    private static Map<String, Object> figures(final RunResult.RequestStats r, final double seconds) {
        final Map<String, Object> f = new LinkedHashMap<>();
        f.put("requests", r.requests());
        f.put("errors", r.errors());
        f.put("error_rate", r.errorRatio());
        f.put("throughput_rps", round(seconds > 0 ? r.ok() / seconds : 0));
        f.put("p50_ms", round(r.percentileMs(50)));
        f.put("p90_ms", round(r.percentileMs(90)));
        f.put("p99_ms", round(r.percentileMs(99)));
        f.put("p999_ms", round(r.percentileMs(99.9)));
        f.put("max_ms", round(r.maxMs()));
        f.put("mean_ms", round(r.meanMs()));
        f.put("errors_by_kind", r.errorsByKind());
        return f;
    }

    /**
     * Writes {@code dir/summary.json} and {@code dir/index.html}, creating {@code dir}.
     *
     * @return the summary written
     */
    public static Map<String, Object> write(final Path dir, final RunResult run, final List<Assertion.Result> verdicts,
            final Extras extras) throws IOException {
        Files.createDirectories(dir);
        final Map<String, Object> summary = summary(run, verdicts, extras);
        Files.writeString(dir.resolve("summary.json"), JSON.writeValueAsString(summary) + "\n");
        final Map<String, Object> data = new LinkedHashMap<>();
        data.put("summary", summary);
        data.put("distribution", distribution(run));
        data.put("timeseries", timeseries(run.seconds()));
        Files.writeString(dir.resolve("index.html"), html(JSON.writeValueAsString(data)));
        return summary;
    }

    /** The page: the template with uPlot and the data inlined. */
    static String html(final String dataJson) {
        return resource("io/funnel/loadtest/report.html")
                .replace("/*UPLOT_CSS*/", resource(UPLOT + "uPlot.min.css"))
                .replace("/*UPLOT_JS*/", resource(UPLOT + "uPlot.iife.min.js").replace("</script", "<\\/script"))
                // JSON inside a script element: "</" would end the element early.
                .replace("/*DATA*/", dataJson.replace("</", "<\\/"));
    }

    private static Map<String, Object> distribution(final RunResult run) {
        final Map<String, Object> d = new LinkedHashMap<>();
        final List<Double> x = new ArrayList<>();
        final List<String> labels = new ArrayList<>();
        for (final double q : GRID) {
            x.add(1 / (1 - q / 100));
            labels.add(trimPercent(q));
        }
        x.add(x.get(x.size() - 1) * 10);
        labels.add("max");
        d.put("x", x);
        d.put("labels", labels);
        final Map<String, List<Double>> series = new LinkedHashMap<>();
        final List<RunResult.RequestStats> all = new ArrayList<>(run.byRequest());
        if (all.size() > 1) {
            all.add(run.all());
        }
        for (final RunResult.RequestStats r : all) {
            final List<Double> y = new ArrayList<>();
            for (final double q : GRID) {
                y.add(round(r.percentileMs(q)));
            }
            y.add(round(r.maxMs()));
            series.put(r.name(), y);
        }
        d.put("series", series);
        return d;
    }

    private static Map<String, Object> timeseries(final List<RunResult.Second> seconds) {
        final Map<String, Object> t = new LinkedHashMap<>();
        final List<Integer> x = new ArrayList<>();
        final List<Long> started = new ArrayList<>();
        final List<Long> ok = new ArrayList<>();
        final List<Long> errors = new ArrayList<>();
        final List<Double> p50 = new ArrayList<>();
        final List<Double> p90 = new ArrayList<>();
        final List<Double> p99 = new ArrayList<>();
        final List<Double> max = new ArrayList<>();
        for (final RunResult.Second s : seconds) {
            x.add(s.second() + 1);
            started.add(s.started());
            ok.add(s.ok());
            errors.add(s.errors());
            p50.add(round(s.p50Ms()));
            p90.add(round(s.p90Ms()));
            p99.add(round(s.p99Ms()));
            max.add(round(s.maxMs()));
        }
        t.put("t", x);
        t.put("started", started);
        t.put("ok", ok);
        t.put("errors", errors);
        t.put("p50", p50);
        t.put("p90", p90);
        t.put("p99", p99);
        t.put("max", max);
        return t;
    }

    private static double[] grid() {
        final java.util.TreeSet<Double> g = new java.util.TreeSet<>(List.of(50.0, 75.0));
        for (int k = 0; k <= 20; k++) {
            g.add(100 * (1 - Math.pow(10, -k / 4.0)));
        }
        return g.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private static String trimPercent(final double q) {
        final String s = String.format(java.util.Locale.ROOT, "%.4f", q).replaceAll("0+$", "").replaceAll("\\.$", "");
        return s + "%";
    }

    private static double ms(final long ns) {
        return ns / 1e6;
    }

    private static double round(final double v) {
        return Math.round(v * 1000) / 1000.0;
    }

    private static String resource(final String name) {
        try (InputStream in = Report.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + name + " (is the uPlot WebJar on the class path?)");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
