package io.funnel.loadtest.spi;

import java.net.URI;
import java.util.List;

/**
 * Creates {@link Driver}s for the target URI schemes it knows. Providers are found with {@link java.util.ServiceLoader}
 * (a {@code META-INF/services/io.funnel.loadtest.spi.DriverProvider} entry), so a new protocol plugs in without
 * touching the harness.
 */
public interface DriverProvider {
    /** URI schemes this provider serves, e.g. {@code http}, {@code h2c}. */
    List<String> schemes();

    /** Opens a driver to {@code target}; throws {@link IllegalArgumentException} naming the bad setting. */
    Driver open(URI target, DriverOptions options);
}
