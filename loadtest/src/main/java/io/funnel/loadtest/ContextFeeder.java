package io.funnel.loadtest;

import io.funnel.loadtest.spi.LoadRequest;
import java.util.SplittableRandom;

/**
 * Draws the request context of each recommendation request: today a category filter. Immutable; randomness from the
 * caller.
 */
@FunctionalInterface
public interface ContextFeeder {
    /** The category of the next request, or {@link LoadRequest.Recommend#NO_CATEGORY}. */
    int category(SplittableRandom random);

    /** No context at all. */
    static ContextFeeder none() {
        return r -> LoadRequest.Recommend.NO_CATEGORY;
    }

    /**
     * With probability {@code probability}, a category drawn uniformly from {@code 0..categories-1}; otherwise none.
     */
    static ContextFeeder categories(final int categories, final double probability) {
        if (categories < 1) {
            throw new IllegalArgumentException("context categories must be at least 1, got " + categories);
        }
        if (!(probability >= 0 && probability <= 1)) {
            throw new IllegalArgumentException("context probability must be in [0, 1], got " + probability);
        }
        return r -> r.nextDouble() < probability ? r.nextInt(categories) : LoadRequest.Recommend.NO_CATEGORY;
    }
}
