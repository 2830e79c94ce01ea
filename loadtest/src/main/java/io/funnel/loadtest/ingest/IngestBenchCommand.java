package io.funnel.loadtest.ingest;

import io.funnel.codecs.EventBatch;
import io.funnel.codecs.EventType;
import io.funnel.engine.config.FunnelConfig;
import io.funnel.engine.data.Dataset;
import io.funnel.engine.data.SyntheticGenerator;
import io.funnel.engine.ingest.EventIngestion;
import io.funnel.engine.metrics.FunnelMetrics;
import io.funnel.engine.offline.ServingState;
import io.funnel.engine.offline.ServingStateBuilder;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Recorder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code funnel bench ingest}: throughput and acknowledgement latency of the event path in process — the
 * {@code EventIntake} every transport submits through, the single-writer applier, and the Aeron Archive log — with
 * the log off (in-memory), on without fsync, and on with fdatasync, for each batch size, in one run. A closed loop
 * keeps {@code --windows} batches outstanding; each batch's latency runs from its submission to its acknowledgement
 * (durable when the log is on, and applied). After the runs it measures the CPU an idle durable event path burns.
 *
 * <p>Bounded: {@code (--warmup + --seconds)} per cell; files under {@code --dir} (deleted first and at the end).
 */
@Command(name = "ingest", mixinStandardHelpOptions = true,
        description = "Event ingestion throughput and ack latency: durable log off vs on (fileSync none, data), per"
                + " batch size, in one run.")
public final class IngestBenchCommand implements Callable<Integer> {
    @Option(names = "--batch-sizes", split = ",", defaultValue = "1,100",
            description = "Events per batch (default ${DEFAULT-VALUE}).")
    List<Integer> batchSizes;

    @Option(names = "--modes", split = ",", defaultValue = "memory,none,data",
            description = "memory (no log), none / data / metadata (durable log with that ingest.fileSync); default"
                    + " ${DEFAULT-VALUE}.")
    List<String> modes;

    @Option(names = "--windows", split = ",", defaultValue = "1,64",
            description = "Batches kept outstanding, one cell each: 1 shows the latency of a lone batch, a larger"
                    + " window the throughput under load (default ${DEFAULT-VALUE}).")
    List<Integer> windows;

    @Option(names = "--seconds", defaultValue = "5", description = "Measured seconds per cell (default "
            + "${DEFAULT-VALUE}).")
    int seconds;

    @Option(names = "--warmup", defaultValue = "2",
            description = "Unmeasured seconds first (default ${DEFAULT-VALUE}).")
    int warmupSeconds;

    @Option(names = "--idle-seconds", defaultValue = "5",
            description = "Seconds of an idle durable event path whose CPU use is measured (0: skip).")
    int idleSeconds;

    @Option(names = "--dir", defaultValue = "target/bench-ingest", description = "Scratch folder for the logs"
            + " (default ${DEFAULT-VALUE}; deleted first and at the end).")
    Path dir;

    private record Result(String mode, int batch, int window, double eventsPerSecond, double batchesPerSecond,
            double p50Micros, double p99Micros, double p999Micros, double maxMicros) {}

    @Override
    public Integer call() throws Exception {
        deleteTree(dir);
        final Dataset data = new SyntheticGenerator().items(10_000).users(5_000).events(100_000).seed(3).generate();
        final FunnelConfig base = FunnelConfig.defaults();
        base.model.trainRanker = false;
        base.model.bprEpochs = 1;
        base.channels.ann.index = "flat";
        final int largest = windows.stream().mapToInt(Integer::intValue).max().orElse(1);
        base.ingest.queueCapacity = Math.max(2, Integer.highestOneBit(largest) * 2);
        System.err.printf("ingest bench: %d items; windows %s batches; %d s warm-up + %d s per cell; %d cores%n",
                data.itemCount(), windows, warmupSeconds, seconds, Runtime.getRuntime().availableProcessors());
        final List<Result> results = new ArrayList<>();
        int run = 0;
        for (final int window : windows) {
            for (final int batch : batchSizes) {
                for (final String mode : modes) {
                final FunnelConfig config = copy(base);
                config.ingest.durable = !mode.equals("memory");
                if (config.ingest.durable) {
                    config.ingest.fileSync = mode;
                }
                config.ingest.dir = dir.resolve("log-" + run++).toString();
                config.validate("bench");
                final ServingState state = new ServingStateBuilder(config, line -> { }).build(data);
                    try (EventIngestion ingestion = EventIngestion.start(config, state, new FunnelMetrics(),
                            () -> { })) {
                        final Result r = measure(ingestion, state, mode, batch, window);
                        results.add(r);
                        System.err.printf(Locale.ROOT, "  window %3d %-7s batch %4d: %,10.0f events/s %,9.0f"
                                + " batches/s  ack p50 %,8.0f µs  p99 %,8.0f µs  p99.9 %,8.0f µs  max %,8.0f µs%n",
                                r.window(), r.mode(), r.batch(), r.eventsPerSecond(), r.batchesPerSecond(),
                                r.p50Micros(), r.p99Micros(), r.p999Micros(), r.maxMicros());
                    }
                }
            }
        }
        System.out.println("| window | events/batch | log | events/s | batches/s | ack p50 (µs) | ack p99 (µs)"
                + " | ack p99.9 (µs) | ack max (µs) |");
        System.out.println("|---:|---:|---|---:|---:|---:|---:|---:|---:|");
        for (final Result r : results) {
            System.out.printf(Locale.ROOT, "| %d | %d | %s | %,.0f | %,.0f | %,.0f | %,.0f | %,.0f | %,.0f |%n",
                    r.window(), r.batch(),
                    r.mode().equals("memory") ? "off (memory)" : "on, fileSync " + r.mode(), r.eventsPerSecond(),
                    r.batchesPerSecond(), r.p50Micros(), r.p99Micros(), r.p999Micros(), r.maxMicros());
        }
        if (idleSeconds > 0) {
            measureIdle(base, data);
        }
        deleteTree(dir);
        return 0;
    }

    private Result measure(final EventIngestion ingestion, final ServingState state, final String mode,
            final int batchSize, final int window) throws InterruptedException {
        final Semaphore outstanding = new Semaphore(window);
        final Recorder latency = new Recorder(60_000_000L, 3);
        final AtomicLong done = new AtomicLong();
        final SplittableRandom random = new SplittableRandom(17);
        final int items = state.itemCount();
        final long warmupEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(warmupSeconds);
        final long end = warmupEnd + TimeUnit.SECONDS.toNanos(seconds);
        long measuredStart = 0;
        long measuredBatchesAtStart = 0;
        boolean measuring = false;
        long now;
        while ((now = System.nanoTime()) < end) {
            if (!measuring && now >= warmupEnd) {
                measuring = true;
                measuredStart = now;
                latency.reset();
                measuredBatchesAtStart = done.get();
            }
            if (!outstanding.tryAcquire(10, TimeUnit.MILLISECONDS)) {
                continue;
            }
            final EventBatch batch = new EventBatch(batchSize); // owned by the intake once submitted
            final long ts = System.currentTimeMillis();
            for (int i = 0; i < batchSize; i++) {
                batch.add(1 + random.nextInt(5_000), state.store().itemIdAt(random.nextInt(items)),
                        EventType.CLICK, ts);
            }
            final long startNs = System.nanoTime();
            ingestion.intake().submit(batch, null).onComplete(ar -> {
                latency.recordValue(Math.max(0, (System.nanoTime() - startNs) / 1_000));
                if (ar.succeeded()) {
                    done.incrementAndGet();
                }
                outstanding.release();
            });
        }
        outstanding.acquire(window); // let the last ones finish
        final double elapsedS = (System.nanoTime() - measuredStart) / 1e9;
        final var h = latency.getIntervalHistogram();
        final double batches = (done.get() - measuredBatchesAtStart) / elapsedS;
        return new Result(mode, batchSize, window, batches * batchSize, batches, h.getValueAtPercentile(50),
                h.getValueAtPercentile(99), h.getValueAtPercentile(99.9), h.getMaxValue());
    }

    private void measureIdle(final FunnelConfig base, final Dataset data) throws Exception {
        final FunnelConfig config = copy(base);
        config.ingest.durable = true;
        config.ingest.dir = dir.resolve("idle").toString();
        config.validate("bench");
        final ServingState state = new ServingStateBuilder(config, line -> { }).build(data);
        final var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        try (EventIngestion ingestion = EventIngestion.start(config, state, new FunnelMetrics(), () -> { })) {
            Thread.sleep(1_000); // let start-up settle
            final long cpu0 = os.getProcessCpuTime();
            final long t0 = System.nanoTime();
            Thread.sleep(idleSeconds * 1_000L);
            final double share = (os.getProcessCpuTime() - cpu0) / (double) (System.nanoTime() - t0);
            System.out.printf(Locale.ROOT, "%nidle durable event path (media driver + archive + applier, idle park"
                    + " up to %d µs): %.1f%% of one core over %d s (the whole JVM)%n",
                    config.ingest.idleMaxParkMicros, share * 100, idleSeconds);
        }
    }

    private static FunnelConfig copy(final FunnelConfig base) {
        final FunnelConfig c = FunnelConfig.defaults();
        c.model.trainRanker = base.model.trainRanker;
        c.model.bprEpochs = base.model.bprEpochs;
        c.channels.ann.index = base.channels.ann.index;
        c.ingest.queueCapacity = base.ingest.queueCapacity;
        return c;
    }

    private static void deleteTree(final Path root) throws java.io.IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (var paths = Files.walk(root)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
