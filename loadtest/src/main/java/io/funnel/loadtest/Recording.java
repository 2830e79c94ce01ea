package io.funnel.loadtest;

import io.funnel.loadtest.spi.Outcome;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * The run's recorders. I/O threads record (no allocation, no lock: HdrHistogram {@link Recorder}s and
 * {@link LongAdder}s); one sampler thread calls {@link #sample} once a second, folding the interval histograms into
 * the run's totals and one {@link RunResult.Second} row.
 */
final class Recording {
    private static final long LOWEST_NS = 1_000;
    private static final long HIGHEST_NS = 3_600_000_000_000L;

    private final String[] names;
    private final Recorder[] recorders;
    private final Histogram[] totals;
    private final Histogram[] intervals;
    private final LongAdder[][] errors;
    private final long[] errorsSampled;
    private final Recorder lag = new Recorder(LOWEST_NS, HIGHEST_NS, 3);
    private final Histogram lagTotal = new Histogram(LOWEST_NS, HIGHEST_NS, 3);
    private Histogram lagInterval;
    private final LongAdder started = new LongAdder();
    private long startedSampled;
    private final List<RunResult.Second> seconds = new ArrayList<>();

    Recording(final List<String> requestNames) {
        final int n = requestNames.size();
        names = requestNames.toArray(new String[0]);
        recorders = new Recorder[n];
        totals = new Histogram[n];
        intervals = new Histogram[n];
        errors = new LongAdder[n][Outcome.values().length];
        errorsSampled = new long[n];
        for (int i = 0; i < n; i++) {
            recorders[i] = new Recorder(LOWEST_NS, HIGHEST_NS, 3);
            totals[i] = new Histogram(LOWEST_NS, HIGHEST_NS, 3);
            for (int o = 0; o < errors[i].length; o++) {
                errors[i][o] = new LongAdder();
            }
        }
    }

    /** A successful answer of request type {@code slot}, {@code latencyNs} after its intended send time. */
    void ok(final int slot, final long latencyNs) {
        recorders[slot].recordValue(Math.max(LOWEST_NS, Math.min(latencyNs, HIGHEST_NS)));
    }

    /** A request of type {@code slot} that ended as {@code outcome} (not OK). */
    void error(final int slot, final Outcome outcome) {
        errors[slot][outcome.ordinal()].increment();
    }

    /** A user started {@code lagNs} after its scheduled arrival. */
    void started(final long lagNs) {
        started.increment();
        lag.recordValue(Math.max(LOWEST_NS, Math.min(lagNs, HIGHEST_NS)));
    }

    /** Folds everything recorded since the previous call into the totals and returns the row for {@code second}. */
    synchronized RunResult.Second sample(final int second) {
        final Histogram all = new Histogram(LOWEST_NS, HIGHEST_NS, 3);
        long errorCount = 0;
        for (int i = 0; i < names.length; i++) {
            intervals[i] = recorders[i].getIntervalHistogram(intervals[i]);
            totals[i].add(intervals[i]);
            all.add(intervals[i]);
            long e = 0;
            for (final LongAdder a : errors[i]) {
                e += a.sum();
            }
            errorCount += e - errorsSampled[i];
            errorsSampled[i] = e;
        }
        lagInterval = lag.getIntervalHistogram(lagInterval);
        lagTotal.add(lagInterval);
        final long s = started.sum();
        final long n = all.getTotalCount();
        final RunResult.Second row = new RunResult.Second(second, s - startedSampled, n, errorCount,
                n == 0 ? 0 : all.getValueAtPercentile(50) / 1e6, n == 0 ? 0 : all.getValueAtPercentile(90) / 1e6,
                n == 0 ? 0 : all.getValueAtPercentile(99) / 1e6, n == 0 ? 0 : all.getMaxValue() / 1e6);
        seconds.add(row);
        startedSampled = s;
        return row;
    }

    /** Forgets the last row (an empty partial second at the end). */
    synchronized void dropLast() {
        seconds.remove(seconds.size() - 1);
    }

    /** The result; call after the last {@link #sample}. */
    synchronized RunResult result(final String simulation, final long startEpochMs, final double measuredSeconds,
            final boolean closedModel) {
        final List<RunResult.RequestStats> byRequest = new ArrayList<>();
        final Histogram allLatency = new Histogram(LOWEST_NS, HIGHEST_NS, 3);
        final long[] allErrors = new long[Outcome.values().length];
        long allOk = 0;
        for (int i = 0; i < names.length; i++) {
            final long[] e = new long[allErrors.length];
            for (int o = 0; o < e.length; o++) {
                e[o] = errors[i][o].sum();
                allErrors[o] += e[o];
            }
            byRequest.add(new RunResult.RequestStats(names[i], totals[i].getTotalCount(), e, totals[i].copy()));
            allLatency.add(totals[i]);
            allOk += totals[i].getTotalCount();
        }
        return new RunResult(simulation, startEpochMs, measuredSeconds, List.copyOf(byRequest),
                new RunResult.RequestStats("all", allOk, allErrors, allLatency), List.copyOf(seconds), lagTotal.copy(),
                closedModel);
    }
}
