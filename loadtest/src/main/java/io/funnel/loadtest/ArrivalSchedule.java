package io.funnel.loadtest;

import java.util.List;
import java.util.SplittableRandom;

/**
 * The arrival times of an injection profile, as nanosecond offsets from the start of the run, in order. Computed
 * from the profile alone (never from the server's answers): that is what makes the model open.
 *
 * <p>For a rate {@code r(t)} the {@code k}-th arrival (from 0) of a segment is at the time {@code t} where the
 * expected count {@code ∫r} reaches {@code k}. For a ramp {@code r(t) = a + (b - a) t / T} that is the root of
 * {@code c t² + a t - k = 0} with {@code c = (b - a) / 2T}, taken as {@code t = 2k / (a + √(a² + 4ck))}, which is
 * stable for rising, falling and flat ramps. Poisson segments draw exponential gaps instead. Not thread-safe.
 */
public final class ArrivalSchedule {
    private final List<Injection> segments;
    private final SplittableRandom random;
    private int segment = -1;
    private long segmentStartNs;
    private long segmentEndNs;
    private long k;
    private double poissonSeconds;
    private long next;

    /** A schedule over {@code segments} in order; {@code seed} drives the Poisson gaps. */
    public ArrivalSchedule(final List<Injection> segments, final long seed) {
        this.segments = List.copyOf(segments);
        this.random = new SplittableRandom(seed);
        nextSegment(0);
        next = compute();
    }

    /** The next arrival's offset in nanoseconds from the start, or -1 when the profile is over. */
    public long peek() {
        return next;
    }

    /** Moves to the arrival after {@link #peek()}. */
    public void advance() {
        if (next >= 0) {
            next = compute();
        }
    }

    /** The profile's total length in nanoseconds. */
    public static long totalNanos(final List<Injection> segments) {
        long total = 0;
        for (final Injection s : segments) {
            total += s.duration().toNanos();
        }
        return total;
    }

    private void nextSegment(final long startNs) {
        segment++;
        segmentStartNs = startNs;
        segmentEndNs = segment < segments.size() ? startNs + segments.get(segment).duration().toNanos() : startNs;
        k = 0;
        poissonSeconds = 0;
    }

    private long compute() {
        while (segment < segments.size()) {
            final double seconds = offsetSeconds(segments.get(segment));
            final long at = segmentStartNs + Math.round(seconds * 1e9);
            if (seconds >= 0 && at < segmentEndNs) {
                k++;
                return at;
            }
            nextSegment(segmentEndNs);
        }
        return -1;
    }

    /** Seconds from the segment's start to its {@code k}-th arrival, or -1 when there is none. */
    private double offsetSeconds(final Injection s) {
        return switch (s) {
            case Injection.Constant c -> c.perSecond() > 0 ? k / c.perSecond() : -1;
            case Injection.Ramp r -> {
                final double a = r.fromPerSecond();
                final double c = (r.toPerSecond() - a) / (2 * (r.duration().toNanos() / 1e9));
                final double disc = a * a + 4 * c * k;
                if (disc < 0) {
                    yield -1; // a falling ramp that never reaches k arrivals
                }
                final double denom = a + Math.sqrt(disc);
                yield k == 0 ? (a > 0 ? 0 : (c > 0 ? 0 : -1)) : (denom > 0 ? 2 * k / denom : -1);
            }
            case Injection.Poisson p -> {
                if (p.perSecond() <= 0) {
                    yield -1;
                }
                poissonSeconds += -Math.log(1 - random.nextDouble()) / p.perSecond();
                yield poissonSeconds;
            }
        };
    }
}
