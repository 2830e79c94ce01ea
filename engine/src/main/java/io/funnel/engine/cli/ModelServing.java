package io.funnel.engine.cli;

import io.funnel.engine.FunnelException;
import io.funnel.engine.config.FunnelConfig;
import io.funnel.engine.offline.ServingState;
import io.funnel.engine.pipeline.RankFeatures;
import io.funnel.engine.server.FunnelServer;
import io.funnel.model.MicroBatcher;
import io.funnel.model.ModelRegistry;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

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
