package io.funnel.engine.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.funnel.engine.FunnelException;
import io.funnel.engine.config.FunnelConfig;
import io.funnel.engine.data.Dataset;
import io.funnel.engine.offline.BundleState;
import io.funnel.engine.offline.ServingState;
import io.funnel.engine.pipeline.RankFeatures;
import io.funnel.engine.server.FunnelServer;
import io.funnel.model.MicroBatcher;
import io.funnel.model.ModelRegistry;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The TensorFlow ranker at serving time, when {@code model.bundles} is set: a {@link ModelRegistry} over the bundle
 * folder (validated, warmed up, hot-swapped) and a {@link MicroBatcher} over its live scorer. Without bundles, or
 * with none valid yet, the state's own (logistic) ranker serves inline.
 */
final class ModelServing implements AutoCloseable {
    private final ModelRegistry registry;
    private final MicroBatcher batcher;
    private final Vertx vertx;

    private ModelServing(final ModelRegistry registry, final MicroBatcher batcher, final Vertx vertx) {
        this.registry = registry;
        this.batcher = batcher;
        this.vertx = vertx;
    }

    /**
     * The retrieval state of the newest bundle version that has one, when {@code model.bundles} is set; {@code null}
     * otherwise, or when that state does not fit the catalog being served or cannot be read (logged with the reason:
     * the server then computes embeddings, index and item-CF from the log, and the ranker is still served).
     */
    static BundleState bundleState(final FunnelConfig config, final Dataset data) {
        if (config.model.bundles == null || config.model.bundles.isBlank()) {
            return null;
        }
        final Path root = Path.of(config.model.bundles);
        final List<Path> versions = new ArrayList<>();
        try (var list = Files.list(root)) {
            list.filter(p -> ModelRegistry.isVersionName(p.getFileName().toString()))
                    .filter(p -> Files.isRegularFile(p.resolve("manifest.json"))).forEach(versions::add);
        } catch (final IOException e) {
            return null; // open() reports a missing folder
        }
        versions.sort(Comparator.comparing((Path p) -> p.getFileName().toString()).reversed());
        for (final Path version : versions) {
            final JsonNode state;
            try {
                state = new ObjectMapper().readTree(version.resolve("manifest.json").toFile()).get("state");
            } catch (final IOException e) {
                Boot.log("bundle " + version + ": unreadable manifest.json (" + e.getMessage() + "); skipped");
                continue;
            }
            if (state == null || !state.isObject()) {
                continue;
            }
            try {
                final long start = System.nanoTime();
                final BundleState loaded = BundleState.read(version, state, data);
                Boot.log(String.format("retrieval state from bundle %s: %d-d embeddings of %d users, %s, item-CF"
                        + " (%.1f s)", version.getFileName(), loaded.dimension(), loaded.userCount(),
                        loaded.index() != null ? "HNSW index" : "no index", (System.nanoTime() - start) / 1e9));
                return loaded;
            } catch (final FunnelException e) {
                Boot.log("bundle " + version.getFileName() + ": retrieval state not used: " + e.getMessage()
                        + "; computing it from the log");
                return null;
            }
        }
        return null;
    }

    static ModelServing open(final FunnelConfig config, final ServingState state, final Vertx vertx) {
        if (config.model.bundles == null || config.model.bundles.isBlank()) {
            return new ModelServing(null, null, vertx);
        }
        final Path root = Path.of(config.model.bundles);
        if (!Files.isDirectory(root)) {
            throw new FunnelException("model.bundles: " + root.toAbsolutePath() + " is not a folder; run 'funnel train"
                    + " --out " + root + "' first or unset model.bundles");
        }
        final ModelRegistry registry = ModelRegistry.builder(root)
                .expectedFeatures(RankFeatures.NAMES)
                .keepVersions(2)
                .pollInterval(config.model.reloadPollSeconds > 0
                        ? Duration.ofSeconds(config.model.reloadPollSeconds) : Duration.ZERO)
                .listener(result -> {
                    Boot.log("model registry: " + result.status() + " " + result.message());
                    if (result.status() == ModelRegistry.Status.LOADED) {
                        state.ranker(state.ranker(), TrainCommand.predictionReference(root.resolve(result.version())));
                    }
                })
                .build();
        if (!registry.hasModel()) {
            Boot.log("model registry: no valid version in " + root + " yet; the logistic ranker serves until one is"
                    + " loaded");
            registry.close();
            return new ModelServing(null, null, vertx);
        }
        state.ranker(registry.scorer(), TrainCommand.predictionReference(root.resolve(registry.currentVersion())));
        final MicroBatcher batcher = MicroBatcher.builder(registry.scorer())
                .maxBatch(config.model.maxBatch)
                .maxDelayMicros(config.model.maxDelayMicros)
                .queueCapacity(config.model.queueCapacity)
                .replicas(config.model.replicas)
                .spinMicros(config.model.spinMicros)
                .onThreadStart(() -> io.funnel.engine.server.ThreadPinning.pin("batcher", config.cpus.batcher))
                .build();
        Boot.log("ranker: TensorFlow model " + registry.currentVersion() + " from " + root + " through the"
                + " micro-batcher");
        return new ModelServing(registry, batcher, vertx);
    }

    /** Adds the batcher and the reload hook to a server being built. */
    FunnelServer.Builder configure(final FunnelServer.Builder builder) {
        if (registry == null) {
            return builder;
        }
        return builder.batcher(batcher).modelReload(() -> vertx.executeBlocking(() -> {
            final ModelRegistry.ReloadResult result = registry.reload();
            if (result.status() == ModelRegistry.Status.REJECTED) {
                throw new IllegalStateException(result.message());
            }
            return result.version() + " (" + result.status().name().toLowerCase(java.util.Locale.ROOT) + ")";
        }));
    }

    @Override
    public void close() {
        if (batcher != null) {
            batcher.close();
        }
        if (registry != null) {
            registry.close();
        }
    }
}
