package io.funnel.loadtest;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A load test: populations (scenarios with their injection), a warm-up that is run but not measured, assertions
 * that decide the exit code, and limits. Built with {@link #builder(String)}, validated at {@link Builder#build()},
 * immutable:
 *
 * <pre>{@code
 * Simulation sim = Simulation.builder("browse-1000")
 *         .population(browse.inject(Injection.ramp(0, 1000, Duration.ofSeconds(10)),
 *                 Injection.constantRate(1000, Duration.ofSeconds(60))))
 *         .warmup(Duration.ofSeconds(10))
 *         .assertion("p99<5ms").assertion("errors<0.1%").assertion("throughput>900/s")
 *         .build();
 * RunResult result = LoadRunner.run(sim, driver);
 * }</pre>
 */
public final class Simulation {
    private final String name;
    private final List<Population> populations;
    private final Duration warmup;
    private final int maxInFlight;
    private final long seed;
    private final List<Assertion> assertions;

    private Simulation(final Builder b) {
        name = b.name;
        populations = List.copyOf(b.populations);
        warmup = b.warmup;
        maxInFlight = b.maxInFlight;
        seed = b.seed;
        assertions = List.copyOf(b.assertions);
    }

    /** Starts a simulation called {@code name}. */
    public static Builder builder(final String name) {
        return new Builder(name);
    }

    /** The name in reports. */
    public String name() {
        return name;
    }

    /** Who comes and what they do. */
    public List<Population> populations() {
        return populations;
    }

    /** The first part of the run that is not measured. */
    public Duration warmup() {
        return warmup;
    }

    /** Requests allowed in flight at once; more are counted as {@code not_sent} errors. */
    public int maxInFlight() {
        return maxInFlight;
    }

    /** Seed of every random draw (users, contexts, pauses, Poisson gaps). */
    public long seed() {
        return seed;
    }

    /** The assertions, in order. */
    public List<Assertion> assertions() {
        return assertions;
    }

    /** The run's length in nanoseconds: the longest population. */
    public long durationNanos() {
        long max = 0;
        for (final Population p : populations) {
            max = Math.max(max, p.durationNanos());
        }
        return max;
    }

    /** A copy with other assertions. */
    public Simulation withAssertions(final List<Assertion> replaced) {
        final Builder b = toBuilder();
        b.assertions.clear();
        b.assertions.addAll(replaced);
        return b.build();
    }

    private Builder toBuilder() {
        final Builder b = new Builder(name).warmup(warmup).maxInFlight(maxInFlight).seed(seed);
        b.populations.addAll(populations);
        b.assertions.addAll(assertions);
        return b;
    }

    /** Builds a {@link Simulation}; not thread-safe. */
    public static final class Builder {
        private final String name;
        private final List<Population> populations = new ArrayList<>();
        private final List<Assertion> assertions = new ArrayList<>();
        private Duration warmup = Duration.ZERO;
        private int maxInFlight = 10_000;
        private long seed = 42;

        private Builder(final String name) {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("simulation name must not be empty");
            }
            this.name = name;
        }

        /** Adds a population. */
        public Builder population(final Population population) {
            populations.add(population);
            return this;
        }

        /** Runs but does not measure the first {@code d} of the run (default none). */
        public Builder warmup(final Duration d) {
            warmup = d;
            return this;
        }

        /** Caps requests in flight (default 10,000); arrivals beyond it count as {@code not_sent} errors. */
        public Builder maxInFlight(final int n) {
            maxInFlight = n;
            return this;
        }

        /** Seeds every random draw (default 42). */
        public Builder seed(final long s) {
            seed = s;
            return this;
        }

        /** Adds an assertion such as {@code p99<5ms}, {@code errors<0.1%}, {@code throughput>900/s}. */
        public Builder assertion(final String expression) {
            assertions.add(Assertion.parse(expression));
            return this;
        }

        /** Validates and builds; the message names the bad setting. */
        public Simulation build() {
            if (populations.isEmpty()) {
                throw new IllegalArgumentException("simulation '" + name + "' has no population");
            }
            if (warmup.isNegative()) {
                throw new IllegalArgumentException("warmup must not be negative, got " + warmup);
            }
            if (maxInFlight < 1) {
                throw new IllegalArgumentException("max in flight must be positive, got " + maxInFlight);
            }
            final int closedUsers = populations.stream().mapToInt(Population::closedUsers).sum();
            if (closedUsers > maxInFlight) {
                throw new IllegalArgumentException("closed users (" + closedUsers + ") exceed max in flight ("
                        + maxInFlight + ")");
            }
            final Simulation s = new Simulation(this);
            if (warmup.toNanos() >= s.durationNanos()) {
                throw new IllegalArgumentException("warmup (" + DurationText.format(warmup)
                        + ") must be shorter than the run (" + DurationText.format(Duration.ofNanos(s.durationNanos()))
                        + ")");
            }
            return s;
        }
    }
}
