package io.funnel.loadtest;

import java.time.Duration;
import java.util.List;

/**
 * A scenario together with how its users come: an open-model injection profile or a closed model of a fixed number
 * of looping users. Create with {@link Scenario#inject} or {@link Scenario#closed}. Immutable.
 *
 * @param scenario what each user does
 * @param profile the open-model segments, empty for a closed model
 * @param closedUsers the closed model's users, 0 for an open model
 * @param closedDuration how long the closed model runs, {@link Duration#ZERO} for an open model
 */
public record Population(Scenario scenario, List<Injection> profile, int closedUsers, Duration closedDuration) {
    /** Validates the model. */
    public Population {
        if (scenario.steps().stream().noneMatch(s -> s instanceof Scenario.Exec)) {
            throw new IllegalArgumentException("scenario '" + scenario.name() + "' sends no request");
        }
        profile = List.copyOf(profile);
    }

    static Population open(final Scenario scenario, final List<Injection> profile) {
        if (profile.isEmpty()) {
            throw new IllegalArgumentException("scenario '" + scenario.name() + "': injection profile is empty");
        }
        return new Population(scenario, profile, 0, Duration.ZERO);
    }

    static Population closed(final Scenario scenario, final int users, final Duration duration) {
        if (users < 1 || users > 100_000) {
            throw new IllegalArgumentException("scenario '" + scenario.name() + "': closed users must be 1..100000, got "
                    + users);
        }
        if (duration.isNegative() || duration.isZero()) {
            throw new IllegalArgumentException("scenario '" + scenario.name() + "': closed duration must be positive");
        }
        return new Population(scenario, List.of(), users, duration);
    }

    /** Whether this is the closed model. */
    public boolean isClosed() {
        return closedUsers > 0;
    }

    /** How long this population injects, nanoseconds. */
    public long durationNanos() {
        return isClosed() ? closedDuration.toNanos() : ArrivalSchedule.totalNanos(profile);
    }
}
