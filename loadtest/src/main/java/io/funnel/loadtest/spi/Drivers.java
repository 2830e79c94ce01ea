package io.funnel.loadtest.spi;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.ServiceLoader;

/** Finds the {@link DriverProvider} for a target's scheme. */
public final class Drivers {
    private Drivers() {}

    /**
     * Opens a driver for {@code target} with the provider registered for its scheme.
     *
     * @throws IllegalArgumentException when no provider serves the scheme (the message lists those that do)
     */
    public static Driver open(final URI target, final DriverOptions options) {
        final String scheme = target.getScheme() == null ? "" : target.getScheme().toLowerCase(Locale.ROOT);
        final List<String> known = new ArrayList<>();
        for (final DriverProvider provider : ServiceLoader.load(DriverProvider.class)) {
            if (provider.schemes().contains(scheme)) {
                return provider.open(target, options);
            }
            known.addAll(provider.schemes());
        }
        throw new IllegalArgumentException("no load driver for target " + target + " (scheme '" + scheme
                + "'); known schemes: " + known);
    }
}
