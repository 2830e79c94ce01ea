package io.funnel.loadtest.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.funnel.model.MicroBatcher;
import io.funnel.model.SavedModelScorer;
import io.funnel.model.Scorer;
import io.funnel.model.train.RankerTrainer;
import io.funnel.model.train.TrainedRanker;
import io.vertx.core.Future;
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
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code funnel bench model}: what the micro-batcher costs and what it buys, measured in one run against the same
 * SavedModel.
 *
 * <ol>
 *   <li>Latency: one caller ranks blocks of 100, 500 and 1000 candidates, alternating a bare
 *       {@link SavedModelScorer#score} call with the same block through the {@link MicroBatcher}; p50/p99 of both
 *       and the batcher's overhead at p99.
 *   <li>Throughput: two request streams of small blocks for a fixed time, first each stream calling the scorer
 *       directly (one call per request), then each keeping a window of requests in flight through the batcher;
 *       candidates per second and per-request p99 of both.
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

    @Option(names = "--warmup", defaultValue = "500", description = "Unmeasured requests per size and path")
    int warmup;

    @Option(names = "--streams", defaultValue = "2", description = "Concurrent request streams (default 2)")
    int streams;

    @Option(names = "--stream-candidates", split = ",", defaultValue = "10,100",
            description = "Candidates per request for the throughput part (default 10,100)")
    int[] streamCandidates;

    @Option(names = "--window", defaultValue = "16",
            description = "Requests each stream keeps in flight through the batcher (default 16)")
    int window;

    @Option(names = "--seconds", defaultValue = "5", description = "Duration of each throughput run (default 5)")
    int seconds;

    @Option(names = "--max-batch", defaultValue = "2048", description = "MicroBatcher maxBatch rows (default 2048)")
    int maxBatch;

    @Option(names = "--max-delay-us", defaultValue = "0", description = "MicroBatcher maxDelayMicros (default 0)")
    long maxDelayMicros;

    @Option(names = "--spin-us", defaultValue = "0", description = "MicroBatcher spinMicros (default 0)")
    long spinMicros;

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
        final Path bundle = model != null ? model : trainSynthetic();
        try (SavedModelScorer scorer = SavedModelScorer.openBundle(bundle);
                MicroBatcher batcher = MicroBatcher.builder(scorer).maxBatch(maxBatch).maxDelayMicros(maxDelayMicros)
                        .spinMicros(spinMicros).build()) {
            report.put("model", Map.of("path", bundle.toString(), "version", scorer.version(), "features",
                    scorer.featureCount(), "heads", scorer.headNames()));
            report.put("batcher", Map.of("max_batch", maxBatch, "max_delay_us", maxDelayMicros, "spin_us",
                    spinMicros, "replicas", 1));
            final List<Map<String, Object>> latency = new ArrayList<>();
            for (final int n : sizes) {
                latency.add(latency(scorer, batcher, n));
            }
            report.put("latency", latency);
            final List<Map<String, Object>> throughput = new ArrayList<>();
            for (final int n : streamCandidates) {
                throughput.add(throughput(scorer, batcher, n));
            }
            report.put("throughput", throughput);
            report.put("batcher_totals", Map.of("batches", batcher.batches(), "requests", batcher.requestsScored(),
                    "rows", batcher.rowsScored(), "rejected_queue_full", batcher.rejectedQueueFull()));
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

    private Map<String, Object> latency(final Scorer scorer, final MicroBatcher batcher, final int n) {
        final float[] x = block(n, scorer.featureCount(), n);
        final float[] out = new float[n * scorer.headCount()];
        final Histogram bare = new Histogram(3);
        final Histogram batched = new Histogram(3);
        final Waiter waiter = new Waiter();
        for (int i = 0; i < warmup + iterations; i++) {
            // Alternate the two paths so that noise from the shared machine hits both alike.
            long t0 = System.nanoTime();
            scorer.score(x, n, out);
            long t1 = System.nanoTime();
            if (i >= warmup) {
                bare.recordValue(t1 - t0);
            }
            t0 = System.nanoTime();
            waiter.await(batcher.submit(x, n, MicroBatcher.NO_DEADLINE, out));
            t1 = System.nanoTime();
            if (i >= warmup) {
                batched.recordValue(t1 - t0);
            }
        }
        final Map<String, Object> row = new LinkedHashMap<>();
        row.put("candidates", n);
        row.put("bare_us", summary(bare));
        row.put("batcher_us", summary(batched));
        final double overhead = (double) batched.getValueAtPercentile(99) / bare.getValueAtPercentile(99) - 1;
        row.put("batcher_overhead_p99", round(overhead));
        row.put("batcher_overhead_p50", round(
                (double) batched.getValueAtPercentile(50) / bare.getValueAtPercentile(50) - 1));
        System.out.printf("latency %4d candidates: bare p50 %7.1f p99 %7.1f us | batcher p50 %7.1f p99 %7.1f us |"
                + " overhead p99 %+.1f%%%n", n, bare.getValueAtPercentile(50) / 1e3,
                bare.getValueAtPercentile(99) / 1e3, batched.getValueAtPercentile(50) / 1e3,
                batched.getValueAtPercentile(99) / 1e3, overhead * 100);
        return row;
    }

    private Map<String, Object> throughput(final Scorer scorer, final MicroBatcher batcher, final int n)
            throws InterruptedException {
        final Map<String, Object> row = new LinkedHashMap<>();
        row.put("candidates_per_request", n);
        row.put("streams", streams);
        final long batchesBefore = batcher.batches();
        final long rowsBefore = batcher.rowsScored();
        final Map<String, Object> direct = runStreams(n, (x, out, histogram, done) -> {
            final long t0 = System.nanoTime();
            scorer.score(x, n, out);
            histogram.recordValue(System.nanoTime() - t0);
            done.incrementAndGet();
        }, 1, null, scorer.featureCount());
        row.put("direct", direct);
        final Map<String, Object> batched = runStreams(n, null, window, batcher, scorer.featureCount());
        final long batches = batcher.batches() - batchesBefore;
        batched.put("mean_batch_rows", batches == 0 ? 0 : round((double) (batcher.rowsScored() - rowsBefore)
                / batches));
        row.put("batched", batched);
        final double ratio = ((Number) batched.get("candidates_per_s")).doubleValue()
                / ((Number) direct.get("candidates_per_s")).doubleValue();
        row.put("throughput_ratio", round(ratio));
        System.out.printf("throughput %3d candidates x %d streams: direct %,.0f cand/s (p99 %s us) | batched %,.0f"
                + " cand/s (p99 %s us, mean batch %s rows) | x%.2f%n", n, streams, direct.get("candidates_per_s"),
                ((Map<?, ?>) direct.get("latency_us")).get("p99"), batched.get("candidates_per_s"),
                ((Map<?, ?>) batched.get("latency_us")).get("p99"), batched.get("mean_batch_rows"), ratio);
        return row;
    }

    @FunctionalInterface
    private interface DirectCall {
        void call(float[] x, float[] out, Histogram histogram, AtomicLong done);
    }

    /** Runs {@code streams} threads for the configured time; direct calls when {@code direct != null}. */
    private Map<String, Object> runStreams(final int n, final DirectCall direct, final int inFlight,
            final MicroBatcher batcher, final int f) throws InterruptedException {
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicBoolean measuring = new AtomicBoolean();
        final AtomicLong done = new AtomicLong();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final List<Histogram> histograms = new ArrayList<>();
        final List<Thread> threads = new ArrayList<>();
        for (int s = 0; s < streams; s++) {
            final Histogram histogram = new Histogram(3);
            final Histogram sink = new Histogram(3);
            histograms.add(histogram);
            final float[] x = block(n, f, 100 + s);
            threads.add(Thread.ofPlatform().name("stream-" + s).start(() -> {
                try {
                    if (direct != null) {
                        final float[] out = new float[n * 8];
                        final AtomicLong ignored = new AtomicLong();
                        while (!stop.get()) {
                            if (measuring.get()) {
                                direct.call(x, out, histogram, done);
                            } else {
                                direct.call(x, out, sink, ignored);
                            }
                        }
                    } else {
                        final Semaphore window = new Semaphore(inFlight);
                        while (!stop.get()) {
                            window.acquire();
                            final long t0 = System.nanoTime();
                            final boolean counted = measuring.get();
                            final Future<float[]> fut = batcher.submit(x, n);
                            fut.onComplete(ar -> {
                                if (ar.succeeded() && counted) {
                                    synchronized (histogram) {
                                        histogram.recordValue(System.nanoTime() - t0);
                                    }
                                    done.incrementAndGet();
                                } else if (ar.failed()) {
                                    failure.compareAndSet(null, ar.cause());
                                }
                                window.release();
                            });
                        }
                        window.acquire(inFlight); // drain
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
            }));
        }
        Thread.sleep(1000); // warm-up
        measuring.set(true);
        final long start = System.nanoTime();
        Thread.sleep(TimeUnit.SECONDS.toMillis(seconds));
        measuring.set(false);
        final long elapsed = System.nanoTime() - start;
        final long requests = done.get();
        stop.set(true);
        for (final Thread t : threads) {
            t.join();
        }
        if (failure.get() != null) {
            throw new IllegalStateException("a request failed", failure.get());
        }
        final Histogram all = new Histogram(3);
        for (final Histogram h : histograms) {
            all.add(h);
        }
        final Map<String, Object> result = new LinkedHashMap<>();
        result.put("in_flight_per_stream", inFlight);
        result.put("requests", requests);
        result.put("requests_per_s", round(requests / (elapsed / 1e9)));
        result.put("candidates_per_s", round(requests * n / (elapsed / 1e9)));
        result.put("latency_us", summary(all));
        return result;
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

    /** Waits for a future on a plain thread: spin briefly, then park until the completion unparks us. */
    private static final class Waiter {
        private final Thread owner = Thread.currentThread();
        private volatile boolean completed;

        void await(final Future<float[]> future) {
            completed = false;
            future.onComplete(ar -> {
                completed = true;
                LockSupport.unpark(owner);
            });
            // Like an event loop that is busy with other work, look again for a short while before sleeping.
            final long spinUntil = System.nanoTime() + 50_000;
            while (!completed && System.nanoTime() - spinUntil < 0) {
                Thread.onSpinWait();
            }
            while (!completed) {
                LockSupport.parkNanos(this, 100_000);
            }
            if (future.failed()) {
                throw new IllegalStateException("request failed", future.cause());
            }
        }
    }
}
