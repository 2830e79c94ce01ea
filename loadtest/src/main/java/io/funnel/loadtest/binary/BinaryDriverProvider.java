package io.funnel.loadtest.binary;

import io.funnel.loadtest.spi.Driver;
import io.funnel.loadtest.spi.DriverOptions;
import io.funnel.loadtest.spi.DriverProvider;
import java.net.URI;
import java.util.List;

/** Registers {@link BinaryDriver} for {@code funnel://host:port} targets (the binary endpoint, default port 8082). */
public final class BinaryDriverProvider implements DriverProvider {
    @Override
    public List<String> schemes() {
        return List.of("funnel");
    }

    @Override
    public Driver open(final URI target, final DriverOptions options) {
        return new BinaryDriver(target, options);
    }
}
