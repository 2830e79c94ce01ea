package io.funnel.loadtest;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * One segment of an open-model injection profile: new virtual users arrive at a rate that does not depend on how
 * fast the server answers. Segments run one after the other; {@link ArrivalSchedule} turns them into arrival times.
 * Rates are users per second (each user runs its scenario once, so a one-request scenario gives requests per
 * second). Immutable.
 */
public sealed interface Injection {
    /** How long the segment lasts. */
    Duration duration();

    /** Users arriving at {@code perSecond}, evenly spaced. */
    record Constant(double perSecond, Duration duration) implements Injection {}

    /** The rate changing linearly from {@code fromPerSecond} to {@code toPerSecond} over the segment. */
    record Ramp(double fromPerSecond, double toPerSecond, Duration duration) implements Injection {}

    /** Users arriving at {@code perSecond} on average with exponential gaps (a Poisson process), seeded by the run. */
    record Poisson(double perSecond, Duration duration) implements Injection {}

    /** Evenly spaced arrivals at {@code perSecond}. */
    static Injection constantRate(final double perSecond, final Duration duration) {
        return new Constant(rate(perSecond, "constant rate"), positive(duration, "constant rate"));
    }

    /** A linear ramp from one rate to another. */
    static Injection ramp(final double fromPerSecond, final double toPerSecond, final Duration duration) {
        rate(fromPerSecond, "ramp from");
        rate(toPerSecond, "ramp to");
        return new Ramp(fromPerSecond, toPerSecond, positive(duration, "ramp"));
    }

    /** Poisson arrivals at {@code perSecond} on average. */
    static Injection poisson(final double perSecond, final Duration duration) {
        return new Poisson(rate(perSecond, "poisson rate"), positive(duration, "poisson"));
    }

    /** No arrivals for {@code duration}. */
    static Injection nothingFor(final Duration duration) {
        return new Constant(0, positive(duration, "pause"));
    }

    /**
     * A staircase: {@code count} constant-rate steps of {@code eachStep}, starting at {@code startPerSecond} and
     * adding {@code incrementPerSecond} each step.
     */
    static List<Injection> steps(final double startPerSecond, final double incrementPerSecond, final int count,
            final Duration eachStep) {
        if (count < 1) {
            throw new IllegalArgumentException("steps: count must be at least 1, got " + count);
        }
        final List<Injection> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            out.add(constantRate(startPerSecond + i * incrementPerSecond, eachStep));
        }
        return out;
    }

    private static double rate(final double perSecond, final String what) {
        if (!(perSecond >= 0) || perSecond > 10_000_000) {
            throw new IllegalArgumentException(what + ": rate must be 0..10000000 per second, got " + perSecond);
        }
        return perSecond;
    }

    private static Duration positive(final Duration d, final String what) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(what + ": duration must be positive, got " + d);
        }
        return d;
    }
}
