package io.funnel.engine.metrics;

import io.funnel.engine.pipeline.StageId;
import io.prometheus.metrics.config.EscapingScheme;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.InfoSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Funnel's serving metrics: per-stage, per-channel and end-to-end latency in HdrHistogram {@link Recorder}s
 * (allocation-free on record), and counters for requests, errors, budget misses, degradations, candidates and
 * events. Exported as Prometheus text ({@link #writePrometheus}) and as a stats snapshot ({@link #stats()}).
 *
 * <p>Threading: the {@code record*} and {@code count*} methods are lock-free and called from any thread; the export
 * methods take an internal lock to fold interval histograms into the cumulative ones.
 */
public final class FunnelMetrics implements MultiCollector {
    private static final long HIGHEST_MICROS = 60_000_000L;
    /** Bins of the prediction histogram used for drift. */
    public static final int SCORE_BINS = 20;
    private static final double[] BUCKETS_SECONDS = {
        0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
        Double.POSITIVE_INFINITY
    };

    private final Latency total = new Latency();
    private final Latency[] stages = new Latency[StageId.all().length];
    private final LongAdder[] budgetMisses = new LongAdder[StageId.all().length];
    private final Map<String, Latency> channels = new ConcurrentHashMap<>();
    private final Map<String, Latency> steps = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> channelCandidates = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> degraded = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> errors = new ConcurrentHashMap<>();
    private final LongAdder requests = new LongAdder();
    private final Map<String, LongAdder> requestsByTransport = new ConcurrentHashMap<>();
    private final LongAdder rejected = new LongAdder();
    private final LongAdder events = new LongAdder();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final LongAdder ingestAppended = new LongAdder();
    private final LongAdder ingestAcked = new LongAdder();
    private final LongAdder ingestReplayed = new LongAdder();
    private final Map<String, LongAdder> ingestErrors = new ConcurrentHashMap<>();
    private final Latency ingestAck = new Latency();
    private volatile java.util.function.LongSupplier durablePosition = () -> -1;
    private volatile java.util.function.LongSupplier appliedPosition = () -> -1;
    /** Ranker predictions in {@link #SCORE_BINS} equal bins over [0, 1], since start. */
    private final java.util.concurrent.atomic.AtomicLongArray scores =
            new java.util.concurrent.atomic.AtomicLongArray(SCORE_BINS);
    private volatile double[] scoreReference;
    private final java.util.function.IntSupplier[] queueDepths = new java.util.function.IntSupplier[1];
    private volatile java.util.function.IntSupplier rankQueueDepth = () -> 0;
    private volatile java.util.function.LongSupplier rankBatches = () -> 0;
    private volatile java.util.function.LongSupplier rankBatchRows = () -> 0;
    /** Input features watched for drift: names, bin upper edges per feature (training quantiles), served counts. */
    private volatile String[] driftNames = new String[0];
    private volatile int[] driftColumns = new int[0];
    private volatile float[][] driftEdges = new float[0][];
    private volatile java.util.concurrent.atomic.AtomicLongArray[] driftCounts =
            new java.util.concurrent.atomic.AtomicLongArray[0];
    private volatile Supplier<String> modelVersion = () -> "";

    public FunnelMetrics() {
        for (int i = 0; i < stages.length; i++) {
            stages[i] = new Latency();
            budgetMisses[i] = new LongAdder();
        }
    }

    /** Records one stage's duration, nanoseconds, and whether it ran over its budget. */
    public void recordStage(final StageId stage, final long nanos, final boolean overBudget) {
        stages[stage.ordinal()].record(nanos);
        if (overBudget) {
            budgetMisses[stage.ordinal()].increment();
        }
    }

    /** Records one channel's retrieval time, nanoseconds, and how many candidates it returned. */
    public void recordChannel(final String channel, final long nanos, final int candidates) {
        channels.computeIfAbsent(channel, c -> new Latency()).record(nanos);
        channelCandidates.computeIfAbsent(channel, c -> new LongAdder()).add(candidates);
    }

    /** Records one re-rank step's duration (e.g. {@code mmr}, {@code exploration}), nanoseconds. */
    public void recordStep(final String step, final long nanos) {
        steps.computeIfAbsent(step, c -> new Latency()).record(nanos);
    }

    /** Records a whole request's server-side time, nanoseconds. */
    public void recordRequest(final long nanos) {
        requests.increment();
        total.record(nanos);
    }

    /**
     * The counter of recommendation requests answered over {@code transport} ({@code http}, {@code binary}), for
     * {@code funnel_transport_requests_total{transport}}; callers keep it and increment it beside
     * {@link #recordRequest}.
     */
    public LongAdder transportRequests(final String transport) {
        return requestsByTransport.computeIfAbsent(transport, t -> new LongAdder());
    }

    /** Requests answered per transport since start. */
    public Map<String, Long> requestsByTransport() {
        return sums(requestsByTransport);
    }

    /** Records ranker predictions (probabilities) for the drift histogram. */
    public void recordScores(final float[] predictions, final int count, final int stride) {
        for (int i = 0; i < count; i++) {
            final float p = predictions[i * stride];
            scores.incrementAndGet(Math.min(SCORE_BINS - 1, Math.max(0, (int) (p * SCORE_BINS))));
        }
    }

    /** The training-time distribution of predictions ({@link #SCORE_BINS} shares), or {@code null} if unknown. */
    public void scoreReference(final double[] shares) {
        scoreReference = shares == null ? null : shares.clone();
    }

    /** Where the event-queue depth is read from, for export. */
    public void eventQueueDepth(final java.util.function.IntSupplier supplier) {
        queueDepths[0] = supplier;
    }

    /** Where the micro-batcher's queue depth and batch counters are read from (zeros without a batcher). */
    public void rankBatcher(final java.util.function.IntSupplier queueDepth,
            final java.util.function.LongSupplier batches, final java.util.function.LongSupplier rows) {
        rankQueueDepth = queueDepth;
        rankBatches = batches;
        rankBatchRows = rows;
    }

    /** Rank requests waiting in the micro-batcher. */
    public int rankQueueDepth() {
        return rankQueueDepth.getAsInt();
    }

    /** Model calls made by the micro-batcher so far. */
    public long rankBatches() {
        return rankBatches.getAsLong();
    }

    /** Rows scored by the micro-batcher so far. */
    public long rankBatchRows() {
        return rankBatchRows.getAsLong();
    }

    /**
     * Watches input features for drift: for each name, the feature column in the rank rows and the upper edges of
     * its bins at training time (deciles, so each training bin holds a tenth of the rows).
     */
    public void featureReference(final String[] names, final int[] columns, final float[][] edges) {
        final java.util.concurrent.atomic.AtomicLongArray[] counts =
                new java.util.concurrent.atomic.AtomicLongArray[names.length];
        for (int i = 0; i < names.length; i++) {
            counts[i] = new java.util.concurrent.atomic.AtomicLongArray(edges[i].length + 1);
        }
        driftCounts = counts;
        driftEdges = edges.clone();
        driftColumns = columns.clone();
        driftNames = names.clone();
    }

    /** Records the watched features of {@code rows} rank rows of {@code width} columns. */
    public void recordFeatures(final float[] features, final int rows, final int width) {
        final int[] columns = driftColumns;
        final float[][] edges = driftEdges;
        final java.util.concurrent.atomic.AtomicLongArray[] counts = driftCounts;
        for (int f = 0; f < columns.length; f++) {
            final float[] e = edges[f];
            for (int r = 0; r < rows; r++) {
                final float v = features[r * width + columns[f]];
                int bin = 0;
                while (bin < e.length && v > e[bin]) {
                    bin++;
                }
                counts[f].incrementAndGet(bin);
            }
        }
    }

    /** PSI of each watched feature against its training distribution (uniform over its decile bins). */
    public Map<String, Double> featurePsi() {
        final Map<String, Double> out = new LinkedHashMap<>();
        final String[] names = driftNames;
        final java.util.concurrent.atomic.AtomicLongArray[] counts = driftCounts;
        for (int f = 0; f < names.length; f++) {
            final int bins = counts[f].length();
            long total = 0;
            for (int b = 0; b < bins; b++) {
                total += counts[f].get(b);
            }
            if (total == 0) {
                continue;
            }
            double psi = 0;
            final double q = 1.0 / bins;
            for (int b = 0; b < bins; b++) {
                final double p = Math.max(1e-4, (double) counts[f].get(b) / total);
                psi += (p - q) * Math.log(p / q);
            }
            out.put(names[f], psi);
        }
        return out;
    }

    /** Current prediction histogram, counts per bin. */
    public long[] scoreHistogram() {
        final long[] out = new long[SCORE_BINS];
        for (int i = 0; i < SCORE_BINS; i++) {
            out[i] = scores.get(i);
        }
        return out;
    }

    /**
     * Population stability index of the served predictions against the training-time reference:
     * sum over bins of (served - reference) * ln(served / reference), shares smoothed by 1e-4. Below 0.1 is
     * usually read as stable, above 0.25 as a shift worth a look. {@code NaN} without a reference or data.
     */
    public double predictionPsi() {
        final double[] reference = scoreReference;
        final long[] served = scoreHistogram();
        long total = 0;
        for (final long c : served) {
            total += c;
        }
        if (reference == null || total == 0) {
            return Double.NaN;
        }
        double psi = 0;
        for (int i = 0; i < SCORE_BINS; i++) {
            final double p = Math.max(1e-4, (double) served[i] / total);
            final double q = Math.max(1e-4, reference[i]);
            psi += (p - q) * Math.log(p / q);
        }
        return psi;
    }

    /** Counts a degradation of {@code stage} (a stage name, or {@code retrieve.<channel>}). */
    public void countDegraded(final String stage) {
        degraded.computeIfAbsent(stage, s -> new LongAdder()).increment();
    }

    /** Counts an error of {@code kind} (e.g. {@code bad_request}, {@code internal}). */
    public void countError(final String kind) {
        errors.computeIfAbsent(kind, k -> new LongAdder()).increment();
    }

    /** Counts a request refused because too many were in flight. */
    public void countRejected() {
        rejected.increment();
    }

    /** Counts applied feedback events. */
    public void countEvents(final int n) {
        events.add(n);
    }

    /** Counts events appended to the durable event log (not yet acknowledged). */
    public void countIngestAppended(final int n) {
        ingestAppended.add(n);
    }

    /**
     * Counts events acknowledged (durable when the log is on, and applied), and records the batch's time from submit
     * to acknowledgement, nanoseconds.
     */
    public void recordIngestAck(final int events, final long nanos) {
        ingestAcked.add(events);
        ingestAck.record(nanos);
    }

    /** Counts events replayed from the event log at start-up. */
    public void countIngestReplayed(final long n) {
        ingestReplayed.add(n);
    }

    /**
     * Counts an ingestion problem of {@code kind} (e.g. {@code aeron_truncated}, {@code aeron_unknown_item},
     * {@code append_failed}, {@code replay_unknown_item}).
     */
    public void countIngestError(final String kind) {
        ingestErrors.computeIfAbsent(kind, k -> new LongAdder()).increment();
    }

    /** Where the event log's durable position and the applied position are read from, for export. */
    public void ingestPositions(final java.util.function.LongSupplier durable,
            final java.util.function.LongSupplier applied) {
        durablePosition = durable;
        appliedPosition = applied;
    }

    /** Ingestion figures since start, for {@code /v1/stats}: event counts, errors, positions, ack latency (µs). */
    public record IngestStats(long appended, long acked, long replayed, Map<String, Long> errors, long durablePosition,
            long appliedPosition, LatencySummary ackLatencyMicros) {}

    /** A snapshot of the ingestion figures. */
    public synchronized IngestStats ingest() {
        return new IngestStats(ingestAppended.sum(), ingestAcked.sum(), ingestReplayed.sum(), sums(ingestErrors),
                durablePosition.getAsLong(), appliedPosition.getAsLong(), ingestAck.summary());
    }

    /** The in-flight gauge, incremented and decremented by the server. */
    public AtomicInteger inFlight() {
        return inFlight;
    }

    /** Where the current model version is read from for export. */
    public void modelVersion(final Supplier<String> supplier) {
        modelVersion = supplier;
    }

    /** Latency summary of one histogram, microseconds. */
    public record LatencySummary(long count, double p50, double p90, double p99, double p999, double max,
            double mean) {}

    /** A point-in-time view of every metric, for {@code /v1/stats}. */
    public record Stats(LatencySummary request, Map<String, LatencySummary> stages, Map<String, Long> budgetMisses,
            Map<String, LatencySummary> channels, Map<String, LatencySummary> reRankSteps,
            Map<String, Long> channelCandidates, Map<String, Long> degraded,
            Map<String, Long> errors, long requests, long rejected, long events, int inFlight, String modelVersion,
            int eventQueueDepth) {}

    /** Folds in the latest intervals and returns cumulative figures since start. */
    public synchronized Stats stats() {
        final Map<String, LatencySummary> stageStats = new LinkedHashMap<>();
        final Map<String, Long> misses = new LinkedHashMap<>();
        for (final StageId s : StageId.all()) {
            stageStats.put(s.metricName(), stages[s.ordinal()].summary());
            misses.put(s.metricName(), budgetMisses[s.ordinal()].sum());
        }
        final Map<String, LatencySummary> channelStats = new LinkedHashMap<>();
        channels.forEach((name, latency) -> channelStats.put(name, latency.summary()));
        final Map<String, LatencySummary> stepStats = new LinkedHashMap<>();
        steps.forEach((name, latency) -> stepStats.put(name, latency.summary()));
        return new Stats(total.summary(), stageStats, misses, channelStats, stepStats, sums(channelCandidates),
                sums(degraded),
                sums(errors), requests.sum(), rejected.sum(), events.sum(), inFlight.get(), modelVersion.get(),
                queueDepths[0] == null ? 0 : queueDepths[0].getAsInt());
    }

    /** One second (or whatever the interval since the previous call) of latency, per stage and in total. */
    public record Window(LatencySummary request, Map<String, LatencySummary> stages,
            Map<String, LatencySummary> channels) {}

    /** Latency since the previous call, for the live dashboard; the cumulative figures are unaffected. */
    public synchronized Window takeWindow() {
        final Map<String, LatencySummary> stageWindows = new LinkedHashMap<>();
        for (final StageId s : StageId.all()) {
            stageWindows.put(s.metricName(), stages[s.ordinal()].takeWindow());
        }
        final Map<String, LatencySummary> channelWindows = new LinkedHashMap<>();
        channels.forEach((name, latency) -> channelWindows.put(name, latency.takeWindow()));
        return new Window(total.takeWindow(), stageWindows, channelWindows);
    }

    private static Map<String, Long> sums(final Map<String, LongAdder> adders) {
        final Map<String, Long> out = new LinkedHashMap<>();
        adders.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }

    /** Writes every metric in the Prometheus text format. */
    public void writePrometheus(final OutputStream out) throws IOException {
        PrometheusTextFormatWriter.create().write(out, collect(), EscapingScheme.UNDERSCORE_ESCAPING);
    }

    @Override
    public synchronized MetricSnapshots collect() {
        final List<io.prometheus.metrics.model.snapshots.MetricSnapshot> out = new ArrayList<>();
        final HistogramSnapshot.Builder stageHist = HistogramSnapshot.builder()
                .name("funnel_stage_latency_seconds")
                .help("Time spent in each stage of the request path");
        for (final StageId s : StageId.all()) {
            stageHist.dataPoint(stages[s.ordinal()].histogramPoint(Labels.of("stage", s.metricName())));
        }
        out.add(stageHist.build());
        out.add(HistogramSnapshot.builder()
                .name("funnel_request_latency_seconds")
                .help("Server-side time of a whole /v1/recommend request")
                .dataPoint(total.histogramPoint(Labels.EMPTY))
                .build());
        final HistogramSnapshot.Builder channelHist = HistogramSnapshot.builder()
                .name("funnel_channel_latency_seconds")
                .help("Time spent by each retrieval channel");
        channels.forEach((name, latency) -> channelHist.dataPoint(latency.histogramPoint(Labels.of("channel", name))));
        out.add(channelHist.build());
        final HistogramSnapshot.Builder stepHist = HistogramSnapshot.builder()
                .name("funnel_rerank_step_latency_seconds")
                .help("Time spent by each step of the re-rank policy");
        steps.forEach((name, latency) -> stepHist.dataPoint(latency.histogramPoint(Labels.of("step", name))));
        out.add(stepHist.build());

        out.add(counter("funnel_requests", "Recommendation requests answered", requests.sum(), Labels.EMPTY));
        out.add(counter("funnel_rejected", "Requests refused with 503 because too many were in flight",
                rejected.sum(), Labels.EMPTY));
        out.add(counter("funnel_events", "Feedback events applied", events.sum(), Labels.EMPTY));
        final CounterSnapshot.Builder missCounter = CounterSnapshot.builder()
                .name("funnel_budget_misses")
                .help("Stage executions that ran over their budget");
        for (final StageId s : StageId.all()) {
            missCounter.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder()
                    .value(budgetMisses[s.ordinal()].sum())
                    .labels(Labels.of("stage", s.metricName()))
                    .build());
        }
        out.add(missCounter.build());
        out.add(labelledCounter("funnel_degraded", "Responses in which a stage or channel was degraded", "stage",
                degraded));
        out.add(labelledCounter("funnel_errors", "Errors by kind", "kind", errors));
        out.add(labelledCounter("funnel_transport_requests", "Recommendation requests answered, by transport",
                "transport", requestsByTransport));
        out.add(counter("funnel_ingest_appended_events", "Events appended to the durable event log",
                ingestAppended.sum(), Labels.EMPTY));
        out.add(counter("funnel_ingest_acked_events", "Events acknowledged (durable when the log is on, and applied)",
                ingestAcked.sum(), Labels.EMPTY));
        out.add(counter("funnel_ingest_replayed_events", "Events replayed from the event log at start-up",
                ingestReplayed.sum(), Labels.EMPTY));
        out.add(labelledCounter("funnel_ingest_errors", "Ingestion problems by kind (bad ingress messages, failed"
                + " appends, replay skips)", "kind", ingestErrors));
        out.add(HistogramSnapshot.builder()
                .name("funnel_ingest_ack_latency_seconds")
                .help("Time from a batch's submission to its acknowledgement (appended, durable, applied)")
                .dataPoint(ingestAck.histogramPoint(Labels.EMPTY))
                .build());
        final GaugeSnapshot.Builder positions = GaugeSnapshot.builder()
                .name("funnel_ingest_log_position_bytes")
                .help("Event log positions: durable (recorded) and applied; -1 without a durable log");
        positions.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().value(durablePosition.getAsLong())
                .labels(Labels.of("kind", "durable")).build());
        positions.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().value(appliedPosition.getAsLong())
                .labels(Labels.of("kind", "applied")).build());
        out.add(positions.build());
        out.add(labelledCounter("funnel_candidates", "Candidates returned by each retrieval channel", "channel",
                channelCandidates));
        out.add(GaugeSnapshot.builder()
                .name("funnel_in_flight")
                .help("Requests currently in flight")
                .dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().value(inFlight.get()).build())
                .build());
        final double psi = predictionPsi();
        if (!Double.isNaN(psi)) {
            out.add(GaugeSnapshot.builder()
                    .name("funnel_prediction_psi")
                    .help("Population stability index of served ranker predictions against the training reference")
                    .dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().value(psi).build())
                    .build());
        }
        final Map<String, Double> featurePsi = featurePsi();
        if (!featurePsi.isEmpty()) {
            final GaugeSnapshot.Builder g = GaugeSnapshot.builder()
                    .name("funnel_feature_psi")
                    .help("Population stability index of served ranker inputs against their training distribution");
            featurePsi.forEach((name, value) -> g.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder()
                    .value(value).labels(Labels.of("feature", name)).build()));
            out.add(g.build());
        }
        out.add(GaugeSnapshot.builder()
                .name("funnel_rank_queue_depth")
                .help("Rank requests waiting in the micro-batcher")
                .dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().value(rankQueueDepth()).build())
                .build());
        out.add(counter("funnel_rank_batches", "Model calls made by the micro-batcher", rankBatches(), Labels.EMPTY));
        out.add(counter("funnel_rank_batch_rows", "Rows scored by the micro-batcher", rankBatchRows(), Labels.EMPTY));
        if (queueDepths[0] != null) {
            out.add(GaugeSnapshot.builder()
                    .name("funnel_event_queue_depth")
                    .help("Event batches waiting to be applied")
                    .dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().value(queueDepths[0].getAsInt()).build())
                    .build());
        }
        out.add(InfoSnapshot.builder()
                .name("funnel_model")
                .help("The ranking model in use")
                .dataPoint(InfoSnapshot.InfoDataPointSnapshot.builder()
                        .labels(Labels.of("version", modelVersion.get()))
                        .build())
                .build());
        return new MetricSnapshots(out);
    }

    private static CounterSnapshot counter(final String name, final String help, final long value,
            final Labels labels) {
        return CounterSnapshot.builder()
                .name(name)
                .help(help)
                .dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder().value(value).labels(labels).build())
                .build();
    }

    private static CounterSnapshot labelledCounter(final String name, final String help, final String label,
            final Map<String, LongAdder> values) {
        final CounterSnapshot.Builder b = CounterSnapshot.builder().name(name).help(help);
        values.forEach((k, v) -> b.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder()
                .value(v.sum())
                .labels(Labels.of(label, k))
                .build()));
        return b.build();
    }

    /** A recorder (hot side) plus the cumulative histogram it is folded into (export side). */
    private static final class Latency {
        private final Recorder recorder = new Recorder(HIGHEST_MICROS, 3);
        private final Histogram cumulative = new Histogram(HIGHEST_MICROS, 3);
        /** Everything folded since the last {@link #takeWindow()}: the dashboard's per-second view. */
        private final Histogram window = new Histogram(HIGHEST_MICROS, 3);
        private Histogram interval;

        void record(final long nanos) {
            recorder.recordValue(Math.min(HIGHEST_MICROS, Math.max(0, nanos / 1_000)));
        }

        /** Folds the latest interval in; caller holds the metrics lock. */
        Histogram fold() {
            interval = recorder.getIntervalHistogram(interval);
            cumulative.add(interval);
            window.add(interval);
            return cumulative;
        }

        /** Folds, then returns and resets the window; caller holds the metrics lock. */
        LatencySummary takeWindow() {
            fold();
            final LatencySummary s = summarise(window);
            window.reset();
            return s;
        }

        LatencySummary summary() {
            return summarise(fold());
        }

        static LatencySummary summarise(final Histogram h) {
            if (h.getTotalCount() == 0) {
                return new LatencySummary(0, 0, 0, 0, 0, 0, 0);
            }
            return new LatencySummary(h.getTotalCount(), h.getValueAtPercentile(50), h.getValueAtPercentile(90),
                    h.getValueAtPercentile(99), h.getValueAtPercentile(99.9), h.getMaxValue(), h.getMean());
        }

        HistogramSnapshot.HistogramDataPointSnapshot histogramPoint(final Labels labels) {
            final Histogram h = fold();
            final long[] counts = new long[BUCKETS_SECONDS.length];
            long previous = 0;
            for (int i = 0; i < BUCKETS_SECONDS.length; i++) {
                final long cumulativeCount = Double.isInfinite(BUCKETS_SECONDS[i])
                        ? h.getTotalCount()
                        : h.getCountBetweenValues(0, (long) (BUCKETS_SECONDS[i] * 1_000_000));
                counts[i] = cumulativeCount - previous; // the model takes per-bucket counts
                previous = cumulativeCount;
            }
            return HistogramSnapshot.HistogramDataPointSnapshot.builder()
                    .classicHistogramBuckets(ClassicHistogramBuckets.of(BUCKETS_SECONDS, counts))
                    .sum(h.getMean() * h.getTotalCount() / 1_000_000.0)
                    .labels(labels)
                    .build();
        }
    }
}
