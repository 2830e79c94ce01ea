package io.funnel.loadtest.http;

import io.funnel.loadtest.spi.Driver;
import io.funnel.loadtest.spi.DriverOptions;
import io.funnel.loadtest.spi.DriverProvider;
import java.net.URI;
import java.util.List;

/** Registers {@link HttpDriver} for {@code http://} targets (and {@code h2c://} as a shorthand for h2c). */
public final class HttpDriverProvider implements DriverProvider {
    @Override
    public List<String> schemes() {
        return List.of("http", "h2c");
    }

    @Override
    public Driver open(final URI target, final DriverOptions options) {
        if ("h2c".equalsIgnoreCase(target.getScheme())) {
            return new HttpDriver(URI.create("http" + target.toString().substring(3)), options.withProtocol("h2c"));
        }
        return new HttpDriver(target, options);
    }
}
