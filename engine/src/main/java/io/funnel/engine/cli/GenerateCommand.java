package io.funnel.engine.cli;

import io.funnel.engine.data.Dataset;
import io.funnel.engine.data.SyntheticGenerator;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code funnel generate}: writes a synthetic data set. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Write synthetic data (items.csv, interactions.csv) with power-law popularity, latent clusters,"
                + " categories, stock, fresh items and users with hidden preferences. Deterministic for a seed"
                + " and end time.")
final class GenerateCommand implements Callable<Integer> {
    @Option(names = "--items", defaultValue = "100000", description = "Items (default ${DEFAULT-VALUE}).")
    int items;

    @Option(names = "--users", defaultValue = "50000", description = "Users (default ${DEFAULT-VALUE}).")
    int users;

    @Option(names = "--events", defaultValue = "1000000", description = "Interactions (default ${DEFAULT-VALUE}).")
    int events;

    @Option(names = "--categories", defaultValue = "40", description = "Categories (default ${DEFAULT-VALUE}).")
    int categories;

    @Option(names = "--seed", defaultValue = "1", description = "Random seed (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--end-ms", description = "Time of the last interaction, epoch ms (default: start of today UTC).")
    Long endMs;

    @Option(names = "--out", required = true, description = "Output folder.")
    Path out;

    @Override
    public Integer call() {
        final long start = System.nanoTime();
        final SyntheticGenerator generator = new SyntheticGenerator()
                .items(items).users(users).events(events).categories(categories).seed(seed);
        if (endMs != null) {
            generator.endMs(endMs);
        }
        final Dataset data = generator.write(out);
        System.out.printf("wrote %d items and %d interactions to %s (%.1f s)%n", data.itemCount(), data.size(), out,
                (System.nanoTime() - start) / 1e9);
        return 0;
    }
}
