package io.funnel.loadtest;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What one virtual user does: draws a user id from its {@link UserFeeder}, then runs its steps in order (requests,
 * each waiting for the previous answer, and pauses). Built fluently and immutable:
 *
 * <pre>{@code
 * Scenario browse = Scenario.named("browse")
 *         .users(UserFeeder.zipf(50_000, 1.0))
 *         .exec(RequestSpec.recommend(10, ContextFeeder.categories(40, 0.3)).check(Check.minItems(1)))
 *         .pause(Duration.ofMillis(50), Duration.ofMillis(150))
 *         .exec(RequestSpec.event("click", 100_000, 100_000));
 * }</pre>
 */
public final class Scenario {
    /** One step of a scenario. */
    public sealed interface Step {}

    /** Sends a request and waits for its answer. */
    public record Exec(RequestSpec request) implements Step {}

    /** Waits a duration drawn uniformly from {@code min..max} (nanoseconds). */
    public record Pause(long minNs, long maxNs) implements Step {}

    private final String name;
    private final UserFeeder users;
    private final List<Step> steps;

    private Scenario(final String name, final UserFeeder users, final List<Step> steps) {
        this.name = name;
        this.users = users;
        this.steps = List.copyOf(steps);
    }

    /** An empty scenario whose users are drawn uniformly from 1..50,000 until {@link #users} says otherwise. */
    public static Scenario named(final String name) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("scenario name must not be empty");
        }
        return new Scenario(name, UserFeeder.uniform(1, 50_000), List.of());
    }

    /** The same scenario with users from {@code feeder}. */
    public Scenario users(final UserFeeder feeder) {
        return new Scenario(name, feeder, steps);
    }

    /** The same scenario with one more request at the end. */
    public Scenario exec(final RequestSpec request) {
        return with(new Exec(request));
    }

    /** The same scenario with a fixed pause at the end. */
    public Scenario pause(final Duration pause) {
        return pause(pause, pause);
    }

    /** The same scenario with a pause drawn uniformly from {@code min..max} at the end. */
    public Scenario pause(final Duration min, final Duration max) {
        if (min.isNegative() || max.compareTo(min) < 0) {
            throw new IllegalArgumentException("pause must satisfy 0 <= min <= max, got " + min + ".." + max);
        }
        return with(new Pause(min.toNanos(), max.toNanos()));
    }

    /** This scenario under an open-model profile: users arrive by {@code profile}, whatever the server does. */
    public Population inject(final Injection... profile) {
        return inject(Arrays.asList(profile));
    }

    /** This scenario under an open-model profile made of {@code profile}'s segments in order. */
    public Population inject(final List<Injection> profile) {
        return Population.open(this, profile);
    }

    /**
     * This scenario under a closed model: {@code users} virtual users loop it for {@code duration}, each starting
     * again as soon as it finishes. For comparison only: a closed model sends less when the server slows down.
     */
    public Population closed(final int users, final Duration duration) {
        return Population.closed(this, users, duration);
    }

    /** The scenario's name. */
    public String name() {
        return name;
    }

    /** Where user ids come from. */
    public UserFeeder users() {
        return users;
    }

    /** The steps in order. */
    public List<Step> steps() {
        return steps;
    }

    private Scenario with(final Step step) {
        final List<Step> more = new ArrayList<>(steps);
        more.add(step);
        return new Scenario(name, users, more);
    }
}
