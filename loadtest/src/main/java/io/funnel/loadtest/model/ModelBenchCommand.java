package io.funnel.loadtest.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.funnel.model.EventLoopPolling;
import io.funnel.model.MicroBatcher;
import io.funnel.model.RankerManifest;
import io.funnel.model.SavedModelScorer;
import io.funnel.model.Scorer;
import io.funnel.model.train.RankerTrainer;
import io.funnel.model.train.TrainedRanker;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.HdrHistogram.Histogram;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code funnel bench model}: what the micro-batcher costs and what it buys, measured in one run against the same
 * SavedModel.
 *
 * <p>Callers are Vert.x event loops, as the engine's rank stage: a bare call runs inline on the loop, a batched
 * request is submitted from the loop and completes on it through {@code runOnContext}.
 *
 * <ol>
 *   <li>Latency: one event loop ranks blocks of 100, 500 and 1000 candidates, alternating (A B, B A, ...) a bare
 *       {@link SavedModelScorer#score} call with the same block through a one-replica {@link MicroBatcher};
 *       p50/p99/p99.9 of both, the batcher's overhead, and where its extra time goes (submit to score start,
 *       scorer call, score end to completion on the loop).
 *   <li>Throughput: two request streams (one per event loop) of small blocks, each stream either scoring inline
 *       (direct: two concurrent session calls) or, per replica count and window, keeping a window of requests in
 *       flight through the batcher; all configurations interleaved in rounds. Candidates per second and per-request
 *       p50/p99/p99.9, and the best batched/direct ratio whose p99 is within a budget (and within the direct p99).
 * </ol>
 *
 * Without {@code --model}, a synthetic ranker (DCN-v2 + ESMM heads, {@code --features} inputs) is trained for a few
 * seconds and exported to a temporary folder first.
 */
@Command(name = "model", mixinStandardHelpOptions = true,
        description = "Benchmark the ranking model: bare session vs micro-batcher latency and throughput.")
public final class ModelBenchCommand implements Callable<Integer> {
    @Option(names = "--model", description = "Ranker bundle folder (manifest.json + saved_model/); default: train a "
            + "synthetic one")
    Path model;

    @Option(names = "--features", defaultValue = "32", description = "Inputs of the synthetic model (default 32)")
    int features;

    @Option(names = "--hidden", defaultValue = "64", description = "Hidden width of the synthetic model (default 64)")
    int hidden;

    @Option(names = "--sizes", split = ",", defaultValue = "100,500,1000",
            description = "Candidates per request for the latency part (default 100,500,1000)")
    int[] sizes;

    @Option(names = "--iterations", defaultValue = "3000",
            description = "Measured requests per size and path (default 3000)")
    int iterations;

    @Option(names = "--warmup", defaultValue = "3000",
            description = "Unmeasured requests per size and path (default 3000: with 500, JIT compilation still ran"
                    + " during the first measured size and took the core a spinning thread needed)")
    int warmup;

    @Option(names = "--streams", defaultValue = "2", description = "Concurrent request streams (default 2)")
    int streams;

    @Option(names = "--stream-candidates", split = ",", defaultValue = "10,100",
            description = "Candidates per request for the throughput part (default 10,100)")
    int[] streamCandidates;

    @Option(names = "--window", split = ",", defaultValue = "1,4,16",
            description = "Requests each stream keeps in flight through the batcher, one throughput run per value "
                    + "(default 1,4,16)")
    int[] window;

    @Option(names = "--replicas", split = ",", defaultValue = "1,2",
            description = "Batcher threads for the throughput part, one set of runs per value (default 1,2); the "
                    + "latency part uses 1")
    int[] replicas;

    @Option(names = "--intra-op", defaultValue = "1",
            description = "TensorFlow intra-op threads of the serving session (default 1). TensorFlow keeps the first "
                    + "session's setting, so a value other than 1 needs --model (no training in the run)")
    int intraOp;

    @Option(names = "--seconds", defaultValue = "5",
            description = "Measured seconds per throughput configuration, split over --rounds (default 5)")
    int seconds;

    @Option(names = "--rounds", defaultValue = "5",
            description = "Interleaved rounds over all throughput configurations (default 5)")
    int rounds;

    @Option(names = "--max-batch", defaultValue = "2048", description = "MicroBatcher maxBatch rows (default 2048)")
    int maxBatch;

    @Option(names = "--max-delay-us", defaultValue = "0", description = "MicroBatcher maxDelayMicros (default 0)")
    long maxDelayMicros;

    @Option(names = "--spin-us", defaultValue = "0", description = "MicroBatcher spinMicros (default 0)")
    long spinMicros;

    @Option(names = "--busy-poll", description = "Event loops busy-poll while a rank result is due"
            + " (EventLoopPolling; the engine's model.busyPollLoops)")
    boolean busyPoll;

    @Option(names = "--p99-budget-us", defaultValue = "15000",
            description = "p99 budget for the throughput ratio, microseconds (default 15000: the rank stage budget in"
                    + " config/funnel.yaml)")
    long p99BudgetMicros;

    @Option(names = "--json", description = "Write the results as JSON to this file")
    Path json;

    /** Runs the benchmark from the command line. */
    public static void main(final String[] args) {
        System.exit(new CommandLine(new ModelBenchCommand()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        final Map<String, Object> report = new LinkedHashMap<>();
        report.put("date", Instant.now().toString());
        report.put("machine", Runtime.getRuntime().availableProcessors() + " cores visible to the JVM, "
                + System.getProperty("os.name") + " " + System.getProperty("os.arch") + ", Java "
                + Runtime.version());
        if (intraOp != 1 && model == null) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--intra-op " + intraOp + " needs --model:"
                    + " the training session would fix TensorFlow's thread pools at intra-op 1 first");
        }
        final Path bundle = model != null ? model : trainSynthetic();
        final int loops = Math.max(1, streams);
        final VertxOptions vertxOptions = new VertxOptions().setEventLoopPoolSize(loops).setPreferNativeTransport(true);
        final Vertx vertx = busyPoll
                ? Vertx.builder().with(vertxOptions).withTransport(EventLoopPolling.transport()).build()
                : Vertx.vertx(vertxOptions);
        try (SavedModelScorer savedModel = SavedModelScorer.forManifest(bundle, RankerManifest.read(bundle))
                        .intraOpThreads(intraOp).build()) {
            final TimedScorer scorer = new TimedScorer(savedModel);
            report.put("model", Map.of("path", bundle.toString(), "version", scorer.version(), "features",
                    scorer.featureCount(), "heads", scorer.headNames(), "intra_op", intraOp, "inter_op", -1));
            report.put("batcher", Map.of("max_batch", maxBatch, "max_delay_us", maxDelayMicros, "spin_us",
                    spinMicros));
            report.put("caller", "Vert.x event loops (" + loops + ", "
                    + (busyPoll ? "epoll, busy-polling while a result is due"
                            : vertx.isNativeTransportEnabled() ? "epoll" : "nio") + ")");
            final List<Map<String, Object>> latency = new ArrayList<>();
            try (MicroBatcher batcher = batcher(scorer, 1)) {
                // Warm every size up before measuring any, so the first size does not pay for JIT compilation.
                for (final int n : sizes) {
                    final LatencyLoop loop = new LatencyLoop(scorer, batcher, n, warmup, warmup);
                    vertx.getOrCreateContext().runOnContext(v -> loop.next());
                    loop.finished.get(10, TimeUnit.MINUTES);
                }
                for (final int n : sizes) {
                    latency.add(latency(vertx, scorer, batcher, n));
                }
                report.put("latency_batcher_totals", Map.of("batches", batcher.batches(), "requests",
                        batcher.requestsScored(), "rows", batcher.rowsScored(), "spins", batcher.spins(),
                        "spins_ended_by_a_request", batcher.spinHits()));
                System.out.printf("latency batcher: %d batches, %d spins, %d ended by a request%n", batcher.batches(),
                        batcher.spins(), batcher.spinHits());
            }
            report.put("latency", latency);
            final List<Map<String, Object>> throughput = new ArrayList<>();
            for (final int n : streamCandidates) {
                throughput.add(throughput(vertx, savedModel, n));
            }
            report.put("throughput", throughput);
        } finally {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
        if (json != null) {
            if (json.toAbsolutePath().getParent() != null) {
                Files.createDirectories(json.toAbsolutePath().getParent());
            }
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), report);
            System.out.println("wrote " + json);
        }
        return 0;
    }

    private Path trainSynthetic() throws IOException {
        final int rows = 20_000;
        final SplittableRandom random = new SplittableRandom(1);
        final float[] x = new float[rows * features];
        final float[] click = new float[rows];
        final float[] like = new float[rows];
        for (int r = 0; r < rows; r++) {
            double z = -1;
            double q = 0;
            for (int i = 0; i < features; i++) {
                final float v = (float) random.nextGaussian();
                x[r * features + i] = v;
                z += (i % 3 == 0 ? 0.3 : -0.1) * v;
                q += (i % 5 == 0 ? 0.4 : 0) * v;
            }
            click[r] = random.nextDouble() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
            like[r] = click[r] > 0 && random.nextDouble() < 1 / (1 + Math.exp(-q)) ? 1 : 0;
        }
        final List<String> names = new ArrayList<>();
        for (int i = 0; i < features; i++) {
            names.add("f" + i);
        }
        final Path dir = Files.createTempDirectory("funnel-bench-model").resolve("ranker");
        System.out.printf("training a synthetic ranker (%d features, hidden %d, %d rows) into %s%n", features,
                hidden, rows, dir);
        try (TrainedRanker trained = new RankerTrainer().hidden(hidden).crossLayers(2).epochs(2).seed(1)
                .fit(names, x, click, like, rows)) {
            trained.export(dir, "bench-synthetic");
            System.out.println("metrics " + trained.metrics());
        }
        return dir;
    }

    private static float[] block(final int rows, final int f, final long seed) {
        final SplittableRandom random = new SplittableRandom(seed);
        final float[] x = new float[rows * f];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        return x;
    }

    private MicroBatcher batcher(final Scorer scorer, final int replicas) {
        return MicroBatcher.builder(scorer).maxBatch(maxBatch).maxDelayMicros(maxDelayMicros).spinMicros(spinMicros)
                .replicas(replicas).threadName("bench-batcher").build();
    }

    /**
     * One caller on a Vert.x event loop, as the engine's rank stage: the bare call runs inline on the loop, the
     * batched request is submitted from the loop and completes there through {@code runOnContext}. The order of the
     * two alternates every iteration (A B, B A, ...) so that neither always runs right after a wake-up.
     */
    private Map<String, Object> latency(final Vertx vertx, final TimedScorer scorer, final MicroBatcher batcher,
            final int n) throws Exception {
        final LatencyLoop loop = new LatencyLoop(scorer, batcher, n, warmup + iterations, warmup);
        vertx.getOrCreateContext().runOnContext(v -> loop.next());
        loop.finished.get(10, TimeUnit.MINUTES);
        final Map<String, Object> row = new LinkedHashMap<>();
        row.put("candidates", n);
        row.put("bare_us", summary(loop.bare));
        row.put("batcher_us", summary(loop.batched));
        row.put("batcher_breakdown_us", Map.of(
                "submit_to_score_start", summary(loop.handIn),
                "score", summary(loop.batchedScore),
                "score_end_to_completion", summary(loop.handOut)));
        final double overhead99 = ratio(loop.batched, loop.bare, 99) - 1;
        row.put("batcher_overhead_p50", round(ratio(loop.batched, loop.bare, 50) - 1));
        row.put("batcher_overhead_p99", round(overhead99));
        row.put("batcher_overhead_p999", round(ratio(loop.batched, loop.bare, 99.9) - 1));
        row.put("max_abs_score_difference", loop.maxDifference);
        System.out.printf("latency %4d candidates: bare p50 %6.1f p99 %6.1f p99.9 %6.1f us | batcher p50 %6.1f p99"
                + " %6.1f p99.9 %6.1f us | overhead p99 %+.1f%% | hand-off in p50/p99 %.1f/%.1f, out %.1f/%.1f us%n",
                n, us(loop.bare, 50), us(loop.bare, 99), us(loop.bare, 99.9), us(loop.batched, 50),
                us(loop.batched, 99), us(loop.batched, 99.9), overhead99 * 100, us(loop.handIn, 50),
                us(loop.handIn, 99), us(loop.handOut, 50), us(loop.handOut, 99));
        return row;
    }

    /** The latency part's state machine; every method runs on the one event loop. */
    private static final class LatencyLoop {
        final TimedScorer scorer;
        final MicroBatcher batcher;
        final int n;
        final int total;
        final int warmup;
        final float[] x;
        final float[] outBare;
        final float[] outBatched;
        final Histogram bare = new Histogram(3);
        final Histogram batched = new Histogram(3);
        final Histogram handIn = new Histogram(3);
        final Histogram batchedScore = new Histogram(3);
        final Histogram handOut = new Histogram(3);
        final CompletableFuture<Void> finished = new CompletableFuture<>();
        double maxDifference;
        int i;

        LatencyLoop(final TimedScorer scorer, final MicroBatcher batcher, final int n, final int total,
                final int warmup) {
            this.scorer = scorer;
            this.batcher = batcher;
            this.n = n;
            this.total = total;
            this.warmup = warmup;
            this.x = block(n, scorer.featureCount(), n);
            this.outBare = new float[n * scorer.headCount()];
            this.outBatched = new float[n * scorer.headCount()];
        }

        void next() {
            if (i == total) {
                for (int k = 0; k < outBare.length; k++) {
                    maxDifference = Math.max(maxDifference, Math.abs(outBare[k] - outBatched[k]));
                }
                finished.complete(null);
                return;
            }
            if ((i & 1) == 0) {
                bare();
                batched(false);
            } else {
                batched(true);
            }
        }

        private void bare() {
            final long t0 = System.nanoTime();
            scorer.score(x, n, outBare);
            final long t1 = System.nanoTime();
            if (i >= warmup) {
                bare.recordValue(t1 - t0);
            }
        }

        private void batched(final boolean thenBare) {
            final long t0 = System.nanoTime();
            batcher.submit(x, n, MicroBatcher.NO_DEADLINE, outBatched).onComplete(ar -> {
                final long t1 = System.nanoTime();
                if (ar.failed()) {
                    finished.completeExceptionally(ar.cause());
                    return;
                }
                if (i >= warmup) {
                    batched.recordValue(t1 - t0);
                    // The batcher thread wrote these before it completed the request (happens-before through the
                    // context's task queue).
                    handIn.recordValue(Math.max(0, scorer.startNs - t0));
                    batchedScore.recordValue(scorer.endNs - scorer.startNs);
                    handOut.recordValue(Math.max(0, t1 - scorer.endNs));
                }
                if (thenBare) {
                    bare();
                }
                i++;
                next();
            });
        }
    }

    /** One throughput configuration: inline scoring ({@code batcher == null}) or a batcher with a window. */
    private static final class Config {
        final String label;
        final MicroBatcher batcher;
        final int replicas;
        final int window;
        final Histogram histogram = new Histogram(3);
        long requests;
        long elapsedNs;
        long batches;
        long rows;

        Config(final String label, final MicroBatcher batcher, final int replicas, final int window) {
            this.label = label;
            this.batcher = batcher;
            this.replicas = replicas;
            this.window = window;
        }

        double candidatesPerSecond(final int n) {
            return requests * (double) n / (elapsedNs / 1e9);
        }

        double p99Micros() {
            return histogram.getValueAtPercentile(99) / 1e3;
        }
    }

    /**
     * Direct and every batched configuration, interleaved: after one unmeasured second each, {@code rounds} rounds
     * run every configuration for {@code seconds / rounds} (after a 200 ms unmeasured lead-in), starting each round
     * at the next configuration, so that noise from the shared machine spreads over all of them alike.
     */
    private Map<String, Object> throughput(final Vertx vertx, final Scorer scorer, final int n) throws Exception {
        final List<Config> configs = new ArrayList<>();
        final List<MicroBatcher> batchers = new ArrayList<>();
        configs.add(new Config("direct", null, 0, 1));
        try {
            for (final int r : replicas) {
                final MicroBatcher batcher = batcher(scorer, r);
                batchers.add(batcher);
                for (final int w : window) {
                    configs.add(new Config("batched", batcher, r, w));
                }
            }
            for (final Config c : configs) {
                runStreams(vertx, scorer, n, c.batcher, c.window, 1000, 0, null);
            }
            final long sliceMs = Math.max(200, TimeUnit.SECONDS.toMillis(seconds) / rounds);
            for (int round = 0; round < rounds; round++) {
                for (int k = 0; k < configs.size(); k++) {
                    final Config c = configs.get((k + round) % configs.size());
                    final long batchesBefore = c.batcher == null ? 0 : c.batcher.batches();
                    final long rowsBefore = c.batcher == null ? 0 : c.batcher.rowsScored();
                    runStreams(vertx, scorer, n, c.batcher, c.window, 200, sliceMs, c);
                    if (c.batcher != null) {
                        c.batches += c.batcher.batches() - batchesBefore;
                        c.rows += c.batcher.rowsScored() - rowsBefore;
                    }
                }
            }
        } finally {
            for (final MicroBatcher b : batchers) {
                b.close();
            }
        }
        final Config direct = configs.get(0);
        final double directRate = direct.candidatesPerSecond(n);
        final double directP99 = direct.p99Micros();
        final Map<String, Object> row = new LinkedHashMap<>();
        row.put("candidates_per_request", n);
        row.put("streams", streams);
        row.put("rounds", rounds);
        row.put("direct", result(direct, n));
        System.out.printf("throughput %4d candidates x %d streams: direct %,11.0f cand/s, p50/p99/p99.9 %.1f/%.1f/%.1f"
                + " us%n", n, streams, directRate, us(direct.histogram, 50), directP99, us(direct.histogram, 99.9));
        final List<Map<String, Object>> batchedRuns = new ArrayList<>();
        double bestWithinDirect = 0;
        double bestWithinBudget = 0;
        for (final Config c : configs.subList(1, configs.size())) {
            final Map<String, Object> batched = result(c, n);
            final double rate = c.candidatesPerSecond(n);
            final double p99 = c.p99Micros();
            batched.put("throughput_ratio", round(rate / directRate));
            batched.put("p99_within_direct_p99", p99 <= directP99);
            batched.put("p99_within_budget", p99 <= p99BudgetMicros);
            if (p99 <= directP99) {
                bestWithinDirect = Math.max(bestWithinDirect, rate / directRate);
            }
            if (p99 <= p99BudgetMicros && directP99 <= p99BudgetMicros) {
                bestWithinBudget = Math.max(bestWithinBudget, rate / directRate);
            }
            batchedRuns.add(batched);
            System.out.printf("throughput %4d candidates x %d streams: batched replicas %d window %2d %,11.0f cand/s,"
                    + " p50/p99/p99.9 %.1f/%.1f/%.1f us, mean batch %s rows | x%.2f%s%n", n, streams, c.replicas,
                    c.window, rate, us(c.histogram, 50), p99, us(c.histogram, 99.9), batched.get("mean_batch_rows"),
                    rate / directRate, p99 <= directP99 ? " (p99 within direct's)" : "");
        }
        row.put("batched", batchedRuns);
        row.put("p99_budget_us", p99BudgetMicros);
        row.put("best_ratio_within_p99_budget", round(bestWithinBudget));
        row.put("best_ratio_within_direct_p99", round(bestWithinDirect));
        System.out.printf("throughput %4d candidates: best ratio with p99 <= %d us: x%.2f; with p99 <= direct's:"
                + " x%.2f%n", n, p99BudgetMicros, bestWithinBudget, bestWithinDirect);
        return row;
    }

    private static Map<String, Object> result(final Config c, final int n) {
        final Map<String, Object> m = new LinkedHashMap<>();
        if (c.batcher != null) {
            m.put("replicas", c.replicas);
        }
        m.put("in_flight_per_stream", c.window);
        m.put("requests", c.requests);
        m.put("measured_s", round(c.elapsedNs / 1e9));
        m.put("requests_per_s", round(c.requests / (c.elapsedNs / 1e9)));
        m.put("candidates_per_s", round(c.candidatesPerSecond(n)));
        m.put("latency_us", summary(c.histogram));
        if (c.batcher != null) {
            m.put("mean_batch_rows", c.batches == 0 ? 0 : round((double) c.rows / c.batches));
        }
        return m;
    }

    /**
     * Runs {@code streams} request streams, one per event loop, for {@code leadInMs} unmeasured then
     * {@code measureMs} measured into {@code into}: {@code batcher == null} scores inline on the loop (the engine
     * without a batcher), otherwise each loop keeps {@code inFlight} requests submitted, each with its own output
     * array (as the engine's request contexts).
     */
    private void runStreams(final Vertx vertx, final Scorer scorer, final int n, final MicroBatcher batcher,
            final int inFlight, final long leadInMs, final long measureMs, final Config into) throws Exception {
        final StreamControl control = new StreamControl(streams);
        final List<Stream> all = new ArrayList<>();
        for (int s = 0; s < streams; s++) {
            final Stream stream = new Stream(control, scorer, batcher, n, block(n, scorer.featureCount(), 100 + s),
                    inFlight, vertx.getOrCreateContext());
            all.add(stream);
            stream.context.runOnContext(v -> stream.start());
        }
        Thread.sleep(leadInMs);
        control.measuring = into != null;
        final long start = System.nanoTime();
        Thread.sleep(measureMs);
        control.measuring = false;
        final long elapsed = System.nanoTime() - start;
        control.stop = true;
        if (!control.stopped.await(60, TimeUnit.SECONDS)) {
            throw new IllegalStateException("streams did not stop");
        }
        if (control.failure.get() != null) {
            throw new IllegalStateException("a request failed", control.failure.get());
        }
        if (into != null) {
            into.elapsedNs += elapsed;
            for (final Stream stream : all) {
                into.requests += stream.done;
                into.histogram.add(stream.histogram);
            }
        }
    }

    private static final class StreamControl {
        final CountDownLatch stopped;
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        volatile boolean measuring;
        volatile boolean stop;

        StreamControl(final int streams) {
            stopped = new CountDownLatch(streams);
        }
    }

    /** One request stream; every method runs on its event loop. */
    private static final class Stream {
        final StreamControl control;
        final Scorer scorer;
        final MicroBatcher batcher;
        final int n;
        final float[] x;
        final float[][] outs;
        final Context context;
        final Histogram histogram = new Histogram(3);
        long done;
        int outstanding;

        Stream(final StreamControl control, final Scorer scorer, final MicroBatcher batcher, final int n,
                final float[] x, final int inFlight, final Context context) {
            this.control = control;
            this.scorer = scorer;
            this.batcher = batcher;
            this.n = n;
            this.x = x;
            this.outs = new float[inFlight][n * scorer.headCount()];
            this.context = context;
        }

        void start() {
            if (batcher == null) {
                direct();
            } else {
                for (int slot = 0; slot < outs.length; slot++) {
                    outstanding++;
                    submit(slot);
                }
            }
        }

        private void direct() {
            if (control.stop) {
                control.stopped.countDown();
                return;
            }
            final long t0 = System.nanoTime();
            scorer.score(x, n, outs[0]);
            final long t1 = System.nanoTime();
            if (control.measuring) {
                histogram.recordValue(t1 - t0);
                done++;
            }
            // Yield to the loop between requests, as a server would.
            context.runOnContext(v -> direct());
        }

        private void submit(final int slot) {
            final long t0 = System.nanoTime();
            batcher.submit(x, n, MicroBatcher.NO_DEADLINE, outs[slot]).onComplete(ar -> {
                if (ar.failed()) {
                    control.failure.compareAndSet(null, ar.cause());
                } else if (control.measuring) {
                    histogram.recordValue(System.nanoTime() - t0);
                    done++;
                }
                if (control.stop || ar.failed()) {
                    if (--outstanding == 0) {
                        control.stopped.countDown();
                    }
                } else {
                    submit(slot);
                }
            });
        }
    }

    /** Times each scorer call, for the latency breakdown; the fields belong to the thread that last scored. */
    private static final class TimedScorer implements Scorer {
        final Scorer delegate;
        long startNs;
        long endNs;

        TimedScorer(final Scorer delegate) {
            this.delegate = delegate;
        }

        @Override
        public String version() {
            return delegate.version();
        }

        @Override
        public List<String> featureNames() {
            return delegate.featureNames();
        }

        @Override
        public List<String> headNames() {
            return delegate.headNames();
        }

        @Override
        public int featureCount() {
            return delegate.featureCount();
        }

        @Override
        public int headCount() {
            return delegate.headCount();
        }

        @Override
        public void score(final float[] features, final int rows, final float[] out) {
            startNs = System.nanoTime();
            delegate.score(features, rows, out);
            endNs = System.nanoTime();
        }
    }

    private static double ratio(final Histogram a, final Histogram b, final double percentile) {
        return (double) a.getValueAtPercentile(percentile) / b.getValueAtPercentile(percentile);
    }

    private static double us(final Histogram h, final double percentile) {
        return h.getValueAtPercentile(percentile) / 1e3;
    }

    private static Map<String, Object> summary(final Histogram h) {
        final Map<String, Object> m = new LinkedHashMap<>();
        m.put("p50", round(h.getValueAtPercentile(50) / 1e3));
        m.put("p90", round(h.getValueAtPercentile(90) / 1e3));
        m.put("p99", round(h.getValueAtPercentile(99) / 1e3));
        m.put("p999", round(h.getValueAtPercentile(99.9) / 1e3));
        m.put("max", round(h.getMaxValue() / 1e3));
        m.put("mean", round(h.getMean() / 1e3));
        m.put("count", h.getTotalCount());
        return m;
    }

    private static double round(final double v) {
        return Math.round(v * 100) / 100.0;
    }
}
