package io.funnel.loadtest;

import io.funnel.loadtest.spi.Outcome;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * What a run measured, after its warm-up: per request type and in total, latencies of successful answers from each
 * request's intended send time (nanoseconds in the histograms, milliseconds from the accessors), errors by kind, one
 * row per second, and the harness's own lag (how late it started users against their scheduled arrival).
 * Immutable once returned by {@link LoadRunner#run}.
 *
 * @param simulation the simulation's name
 * @param startEpochMs wall-clock start of the measured part
 * @param measuredSeconds length of the measured part
 * @param byRequest one entry per request name, in scenario order
 * @param all every request type together
 * @param seconds one row per measured second
 * @param lagNs how late arrivals were started against their schedule (open model only), nanoseconds
 * @param closedModel whether any population was a closed model (latency from actual send times there)
 */
public record RunResult(String simulation, long startEpochMs, double measuredSeconds, List<RequestStats> byRequest,
        RequestStats all, List<Second> seconds, Histogram lagNs, boolean closedModel) {

    /** One request type's totals. Latencies in the histogram are nanoseconds. */
    public record RequestStats(String name, long ok, long[] errorsByOutcome, Histogram latencyNs) {
        /** Requests that ended one way or another (successes and errors). */
        public long requests() {
            return ok + errors();
        }

        /** Requests that did not end in {@link Outcome#OK}. */
        public long errors() {
            long sum = 0;
            for (final long e : errorsByOutcome) {
                sum += e;
            }
            return sum;
        }

        /** Errors over requests, 0..1 (0 when there were no requests). */
        public double errorRatio() {
            final long r = requests();
            return r == 0 ? 0 : (double) errors() / r;
        }

        /** Non-zero error counts by kind ({@code timeout}, {@code server_error}, ...). */
        public Map<String, Long> errorsByKind() {
            final Map<String, Long> out = new LinkedHashMap<>();
            for (final Outcome o : Outcome.values()) {
                if (errorsByOutcome[o.ordinal()] > 0) {
                    out.put(o.label(), errorsByOutcome[o.ordinal()]);
                }
            }
            return out;
        }

        /** The latency at percentile {@code q} (0..100) in milliseconds; 0 when nothing succeeded. */
        public double percentileMs(final double q) {
            return latencyNs.getTotalCount() == 0 ? 0 : latencyNs.getValueAtPercentile(q) / 1e6;
        }

        /** The largest latency in milliseconds. */
        public double maxMs() {
            return latencyNs.getTotalCount() == 0 ? 0 : latencyNs.getMaxValue() / 1e6;
        }

        /** The mean latency in milliseconds. */
        public double meanMs() {
            return latencyNs.getTotalCount() == 0 ? 0 : latencyNs.getMean() / 1e6;
        }
    }

    /**
     * One second of the measured part: users started (arrivals), successes and errors that ended in it, and the
     * latency percentiles of its successes in milliseconds.
     */
    public record Second(int second, long started, long ok, long errors, double p50Ms, double p90Ms, double p99Ms,
            double maxMs) {}

    /** Successful answers per second over the measured part. */
    public double throughput() {
        return measuredSeconds > 0 ? all.ok() / measuredSeconds : 0;
    }

    /** The stats of request type {@code name}, or {@code null}. */
    public RequestStats request(final String name) {
        for (final RequestStats s : byRequest) {
            if (s.name().equals(name)) {
                return s;
            }
        }
        return null;
    }
}
