package io.funnel.loadtest.ann;

import io.funnel.ann.Metric;
import io.funnel.ann.Quantization;
import io.funnel.ann.VectorOps;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
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
 * {@code funnel bench ann}: builds Funnel's HNSW index and its peers (Lucene, jvector, hnswlib) in this JVM over the
 * same data with comparable settings, sweeps the search beam, and reports per engine the build time, memory, and
 * single-thread QPS at recall@10 = 0.90 / 0.95 / 0.99 (linearly interpolated between sweep points), as JSON plus an
 * SVG plot of the recall/QPS curves next to it.
 *
 * <p>Run standalone with {@link #main}; the engine's CLI mounts this class as a picocli subcommand.
 */
@Command(
        name = "ann",
        mixinStandardHelpOptions = true,
        description = "Benchmark the ANN index against Lucene, jvector and hnswlib (recall@10 vs single-thread QPS).")
public final class AnnBenchCommand implements Callable<Integer> {
    static final double[] TARGETS = {0.90, 0.95, 0.99};

    @Option(names = "--base", paramLabel = "F.fvecs", description = "Base vectors (.fvecs).")
    Path base;

    @Option(names = "--query", paramLabel = "F.fvecs", description = "Query vectors (.fvecs).")
    Path query;

    @Option(names = "--truth", paramLabel = "F.ivecs", description = "Ground-truth neighbour ids (.ivecs).")
    Path truth;

    @Option(names = "--metric", defaultValue = "l2", description = "l2, ip or cosine (default: ${DEFAULT-VALUE}).")
    String metric;

    @Option(
            names = "--peers",
            split = ",",
            defaultValue = "lucene,jvector,hnswlib",
            description = "Peers to run beside funnel: lucene, jvector, hnswlib, or none (default: ${DEFAULT-VALUE}).")
    List<String> peers;

    @Option(
            names = "--synthetic",
            paramLabel = "N,DIM",
            description = "Generate N clustered vectors of DIM components instead of reading files.")
    String synthetic;

    @Option(names = "--queries", defaultValue = "1000", description = "Queries for --synthetic (default: ${DEFAULT-VALUE}).")
    int syntheticQueries;

    @Option(names = "--threads", defaultValue = "1", description = "Build threads for every engine (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(
            names = "--beams",
            split = ",",
            defaultValue = "10,16,24,32,48,64,96,128,192,256,384,512",
            description = "Search beams to sweep (default: ${DEFAULT-VALUE}).")
    int[] beams;

    @Option(names = "--int8", description = "Also run funnel with int8 traversal and exact re-scoring.")
    boolean int8;

    @Option(names = "--max-degree", defaultValue = "16", description = "Funnel maxDegree (default: ${DEFAULT-VALUE}).")
    int maxDegree;

    @Option(names = "--alpha", defaultValue = "1.0", description = "Funnel diversity alpha (default: ${DEFAULT-VALUE}).")
    float alpha;

    @Option(names = "--build-beam", defaultValue = "100", description = "Funnel build beam (default: ${DEFAULT-VALUE}).")
    int buildBeam;

    @Option(
            names = "--min-queries",
            defaultValue = "2000",
            description = "Queries per timed repetition; the query set is cycled (default: ${DEFAULT-VALUE}).")
    int minQueries;

    @Option(names = "--repetitions", defaultValue = "5", description = "Timed repetitions per beam; the best counts.")
    int repetitions;

    @Option(
            names = "--filters",
            defaultValue = "0.01,0.1,0.5",
            description = "Filter selectivities to measure on funnel (recall and latency vs unfiltered); "
                    + "'none' to skip (default: ${DEFAULT-VALUE}).")
    String filterSelectivities;

    @Option(names = "--no-persistence", negatable = true, defaultValue = "true",
            description = "Save the funnel index, time the memory-mapped load, check it answers the same.")
    boolean persistence;

    @Option(
            names = "--build-runs",
            defaultValue = "2",
            description = "Builds per engine; the fastest counts (the first pays for JIT warm-up) (default: ${DEFAULT-VALUE}).")
    int buildRuns;

    @Option(names = "--json", required = true, paramLabel = "OUT", description = "Where to write the JSON report.")
    Path json;

    /** Runs the command standalone: {@code java @config/jvm.options -cp ... AnnBenchCommand --help}. */
    public static void main(final String[] args) {
        System.exit(new CommandLine(new AnnBenchCommand()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        final Metric m = Metric.parse(metric);
        if (buildRuns < 1) {
            throw new CommandLine.ParameterException(
                    new CommandLine(this), "--build-runs must be >= 1, got " + buildRuns);
        }
        if (threads < 1) {
            throw new CommandLine.ParameterException(
                    new CommandLine(this), "--threads must be >= 1, got " + threads);
        }
        final AnnDataset data = loadData(m);
        final int k = 10;
        log("dataset %s: %d base x %d dims, %d queries, metric %s, kernels %s, %d cores",
                data.name(), data.base().length, data.base()[0].length, data.queries().length, m,
                VectorOps.provider().name(), Runtime.getRuntime().availableProcessors());

        final List<AnnEngine> engines = new ArrayList<>();
        engines.add(new FunnelEngine(m, maxDegree, buildBeam, alpha, Quantization.NONE));
        if (int8) {
            engines.add(new FunnelEngine(m, maxDegree, buildBeam, alpha, Quantization.INT8));
        }
        for (final String peer : peers) {
            switch (peer.trim().toLowerCase(Locale.ROOT)) {
                case "lucene" -> engines.add(new LuceneEngine(m, 16, 100));
                case "jvector" -> engines.add(new JvectorEngine(m, 16, 100));
                case "hnswlib" -> engines.add(new HnswlibEngine(m, 16, 200));
                case "none", "" -> {}
                default -> throw new CommandLine.ParameterException(
                        new CommandLine(this), "--peers must list lucene, jvector, hnswlib or none, got '" + peer + "'");
            }
        }

        final Map<String, EngineReport> reports = new LinkedHashMap<>();
        final StringBuilder extras = new StringBuilder();
        for (final AnnEngine engine : engines) {
            try (engine) {
                reports.put(engine.name(), run(engine, data, k));
                if (engine instanceof FunnelEngine f && f.name().equals("funnel")) {
                    extras.append(AnnExtras.filtered(f.index(), data, m, k, selectivities(), minQueries));
                    if (persistence) {
                        extras.append(AnnExtras.persistence(f.index(), data, k));
                    }
                }
            }
            System.gc();
        }
        writeJson(data, m, reports, extras.toString());
        final Path svg = json.resolveSibling(stripExtension(json.getFileName().toString()) + ".svg");
        Files.writeString(svg, AnnPlot.svg(data.name(), reports));
        printSummary(reports);
        log("wrote %s and %s", json, svg);
        return 0;
    }

    private double[] selectivities() {
        final String s = filterSelectivities.trim();
        if (s.isEmpty() || s.equalsIgnoreCase("none")) {
            return new double[0];
        }
        final String[] parts = s.split(",");
        final double[] out = new double[parts.length];
        for (int i = 0; i < parts.length; i++) {
            out[i] = Double.parseDouble(parts[i].trim());
            if (!(out[i] > 0 && out[i] <= 1)) {
                throw new CommandLine.ParameterException(
                        new CommandLine(this), "--filters values must be in (0, 1], got '" + parts[i] + "'");
            }
        }
        return out;
    }

    private AnnDataset loadData(final Metric m) throws IOException {
        if (synthetic != null) {
            final String[] parts = synthetic.split(",");
            if (parts.length != 2) {
                throw new CommandLine.ParameterException(
                        new CommandLine(this), "--synthetic must be N,DIM, got '" + synthetic + "'");
            }
            final int n = Integer.parseInt(parts[0].trim());
            final int dim = Integer.parseInt(parts[1].trim());
            log("generating %d x %d synthetic vectors and exact ground truth for %d queries", n, dim,
                    syntheticQueries);
            return AnnDataset.synthetic(n, dim, syntheticQueries, m, 7);
        }
        if (base == null || query == null || truth == null) {
            throw new CommandLine.ParameterException(
                    new CommandLine(this), "give --base, --query and --truth, or --synthetic N,DIM");
        }
        return AnnDataset.fromFiles(base, query, truth);
    }

    private EngineReport run(final AnnEngine engine, final AnnDataset data, final int k) throws Exception {
        log("%s: building (%s), %d threads", engine.name(), engine.settings(), threads);
        // The first build also pays for class loading and JIT compilation of that library's code; with
        // --build-runs > 1 the fastest build counts, and every one is reported.
        double buildSeconds = Double.MAX_VALUE;
        final double[] builds = new double[buildRuns];
        for (int r = 0; r < buildRuns; r++) {
            final long t0 = System.nanoTime();
            engine.build(data.base(), threads);
            builds[r] = (System.nanoTime() - t0) / 1e9;
            buildSeconds = Math.min(buildSeconds, builds[r]);
            log("%s: build %d took %.3f s", engine.name(), r + 1, builds[r]);
        }
        final long memory = engine.memoryBytes();
        log("%s: built in %.3f s, %,d bytes", engine.name(), buildSeconds, memory);

        final float[][] queries = data.queries();
        final int[] out = new int[k];
        // Warm the JIT on the search path before anything is timed.
        for (int r = 0; r < 3; r++) {
            for (int i = 0; i < minQueries; i++) {
                engine.search(queries[i % queries.length], k, 64, out);
            }
        }
        final List<SweepPoint> sweep = new ArrayList<>();
        for (final int beam : beams) {
            int hits = 0;
            for (int i = 0; i < queries.length; i++) {
                final int n = engine.search(queries[i], k, beam, out);
                hits += overlap(out, n, data.truth()[i], k);
            }
            final double recall = hits / (double) (k * queries.length);
            final int perRep = Math.max(minQueries, queries.length);
            for (int i = 0; i < perRep; i++) { // untimed: let every engine settle at this beam first
                engine.search(queries[i % queries.length], k, beam, out);
            }
            double bestQps = 0;
            final double[] all = new double[repetitions];
            for (int r = 0; r < repetitions; r++) {
                final long start = System.nanoTime();
                for (int i = 0; i < perRep; i++) {
                    engine.search(queries[i % queries.length], k, beam, out);
                }
                final double qps = perRep / ((System.nanoTime() - start) / 1e9);
                all[r] = qps;
                bestQps = Math.max(bestQps, qps);
            }
            java.util.Arrays.sort(all);
            sweep.add(new SweepPoint(beam, recall, bestQps, all[all.length / 2]));
            log("%s: beam %4d recall@10 %.4f  QPS best %,.0f median %,.0f", engine.name(), beam, recall, bestQps,
                    all[all.length / 2]);
            if (recall >= 0.999) {
                break;
            }
        }
        return new EngineReport(engine.name(), engine.settings(), buildSeconds, builds, memory, sweep);
    }

    static int overlap(final int[] found, final int n, final int[] truth, final int k) {
        int hits = 0;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < k; j++) {
                if (found[i] == truth[j]) {
                    hits++;
                    break;
                }
            }
        }
        return hits;
    }

    /** One sweep measurement: recall@10 and single-thread QPS (best and median of the repetitions). */
    record SweepPoint(int beam, double recall, double qps, double medianQps) {}

    /** What one engine measured. */
    record EngineReport(
            String name,
            String settings,
            double buildSeconds,
            double[] allBuildSeconds,
            long memoryBytes,
            List<SweepPoint> sweep) {
        /**
         * QPS at {@code target} recall, interpolated linearly between the two sweep points around it; {@code NaN}
         * when the sweep never reached it. When the lowest beam is already above the target, that point's QPS is
         * returned (a lower bound on the engine's QPS at the target).
         */
        double qpsAt(final double target) {
            for (int i = 0; i < sweep.size(); i++) {
                final SweepPoint p = sweep.get(i);
                if (p.recall() >= target) {
                    if (i == 0) {
                        return p.qps();
                    }
                    final SweepPoint prev = sweep.get(i - 1);
                    if (p.recall() == prev.recall()) {
                        return p.qps();
                    }
                    final double f = (target - prev.recall()) / (p.recall() - prev.recall());
                    return prev.qps() + f * (p.qps() - prev.qps());
                }
            }
            return Double.NaN;
        }

        boolean lowerBoundAt(final double target) {
            return !sweep.isEmpty() && sweep.get(0).recall() >= target;
        }
    }

    private void writeJson(
            final AnnDataset data, final Metric m, final Map<String, EngineReport> reports, final String extras)
            throws IOException {
        final StringBuilder sb = new StringBuilder(4096);
        sb.append("{\n");
        sb.append("  \"date\": \"").append(Instant.now()).append("\",\n");
        sb.append("  \"dataset\": {\"name\": \"").append(data.name()).append("\", \"base\": ")
                .append(data.base().length).append(", \"dimension\": ").append(data.base()[0].length)
                .append(", \"queries\": ").append(data.queries().length).append(", \"metric\": \"")
                .append(m.name().toLowerCase(Locale.ROOT)).append("\", \"k\": 10},\n");
        sb.append("  \"machine\": {\"cores\": ").append(Runtime.getRuntime().availableProcessors())
                .append(", \"java\": \"").append(System.getProperty("java.vm.name")).append(' ')
                .append(System.getProperty("java.version")).append("\", \"os_arch\": \"")
                .append(System.getProperty("os.arch")).append("\", \"funnel_vector_ops\": \"")
                .append(VectorOps.provider().name()).append("\"},\n");
        sb.append("  \"method\": {\"build_threads\": ").append(threads)
                .append(", \"build_runs\": ").append(buildRuns).append(", \"search_threads\": 1")
                .append(", \"queries_per_repetition\": ").append(Math.max(minQueries, data.queries().length))
                .append(", \"repetitions\": ").append(repetitions)
                .append(", \"qps\": \"best repetition; median in sweep\"")
                .append(", \"qps_at_recall\": \"linear interpolation between sweep points; null if not reached\"},\n");
        sb.append("  \"engines\": {\n");
        int e = 0;
        for (final EngineReport r : reports.values()) {
            sb.append("    \"").append(r.name()).append("\": {\n");
            sb.append("      \"settings\": \"").append(escape(r.settings())).append("\",\n");
            sb.append("      \"build_seconds\": ").append(fmt(r.buildSeconds())).append(",\n");
            sb.append("      \"build_seconds_all_runs\": [");
            for (int i = 0; i < r.allBuildSeconds().length; i++) {
                sb.append(i > 0 ? ", " : "").append(fmt(r.allBuildSeconds()[i]));
            }
            sb.append("],\n");
            sb.append("      \"memory_bytes\": ").append(r.memoryBytes()).append(",\n");
            sb.append("      \"qps_at_recall\": {");
            appendTargets(sb, t -> r.qpsAt(t));
            sb.append("},\n");
            sb.append("      \"qps_at_recall_is_lower_bound\": {");
            for (int i = 0; i < TARGETS.length; i++) {
                sb.append(i > 0 ? ", " : "").append('"').append(key(TARGETS[i])).append("\": ")
                        .append(r.lowerBoundAt(TARGETS[i]));
            }
            sb.append("},\n");
            sb.append("      \"sweep\": [\n");
            for (int i = 0; i < r.sweep().size(); i++) {
                final SweepPoint p = r.sweep().get(i);
                sb.append("        {\"beam\": ").append(p.beam()).append(", \"recall\": ").append(fmt(p.recall()))
                        .append(", \"qps\": ").append(fmt(p.qps())).append(", \"median_qps\": ")
                        .append(fmt(p.medianQps())).append('}').append(i + 1 < r.sweep().size() ? ",\n" : "\n");
            }
            sb.append("      ]\n");
            sb.append("    }").append(++e < reports.size() ? ",\n" : "\n");
        }
        sb.append("  },\n");
        sb.append(extras);
        final EngineReport funnel = reports.get("funnel");
        sb.append("  \"ratios_vs_funnel\": {");
        int n = 0;
        for (final EngineReport r : reports.values()) {
            if (r == funnel || funnel == null) {
                continue;
            }
            sb.append(n++ > 0 ? ",\n    " : "\n    ").append('"').append(r.name()).append("\": {\"qps_at_recall\": {");
            appendTargets(sb, t -> funnel.qpsAt(t) / r.qpsAt(t));
            sb.append("}, \"build_time\": ").append(fmt(funnel.buildSeconds() / r.buildSeconds())).append('}');
        }
        sb.append(n > 0 ? "\n  }\n" : "}\n");
        sb.append("}\n");
        final Path parent = json.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.writeString(json, sb.toString());
    }

    private static void appendTargets(final StringBuilder sb, final java.util.function.DoubleUnaryOperator f) {
        for (int i = 0; i < TARGETS.length; i++) {
            final double v = f.applyAsDouble(TARGETS[i]);
            sb.append(i > 0 ? ", " : "").append('"').append(key(TARGETS[i])).append("\": ").append(fmt(v));
        }
    }

    static String key(final double target) {
        return target == 0.90 ? "0.9" : Double.toString(target);
    }

    static String fmt(final double v) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            return "null";
        }
        return String.format(Locale.ROOT, "%.4f", v);
    }

    private static String escape(final String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"");
    }

    private static String stripExtension(final String name) {
        final int dot = name.lastIndexOf('.');
        return dot > 0 ? name.substring(0, dot) : name;
    }

    private void printSummary(final Map<String, EngineReport> reports) {
        System.out.printf(Locale.ROOT, "%n%-12s %10s %14s %12s %12s %12s%n", "engine", "build s", "memory MiB",
                "QPS@0.90", "QPS@0.95", "QPS@0.99");
        for (final EngineReport r : reports.values()) {
            System.out.printf(Locale.ROOT, "%-12s %10.3f %14.1f %12.0f %12.0f %12.0f%n", r.name(), r.buildSeconds(),
                    r.memoryBytes() / 1048576.0, r.qpsAt(0.90), r.qpsAt(0.95), r.qpsAt(0.99));
        }
    }

    static void log(final String format, final Object... args) {
        System.err.printf(Locale.ROOT, "[bench ann] " + format + "%n", args);
    }
}
