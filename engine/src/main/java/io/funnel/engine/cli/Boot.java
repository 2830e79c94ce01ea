package io.funnel.engine.cli;

import io.funnel.engine.FunnelException;
import io.funnel.engine.config.ConfigException;
import io.funnel.engine.config.FunnelConfig;
import io.funnel.engine.data.Dataset;
import io.funnel.engine.data.DatasetFormat;
import io.funnel.engine.data.DatasetReader;
import io.funnel.engine.data.SyntheticGenerator;
import io.funnel.engine.offline.ServingState;
import io.funnel.engine.offline.ServingStateBuilder;
import io.funnel.engine.server.FunnelServer;
import io.funnel.model.EventLoopPolling;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** Start-up shared by {@code serve} and {@code demo}: data, state, Vert.x, server, and a clean shutdown. */
final class Boot {
    private Boot() {}

    static void log(final String line) {
        System.err.println("funnel: " + line);
    }

    /** Reads the configured data, generating it first when the config asks for that and it is missing. */
    static Dataset loadData(final FunnelConfig config) {
        final Path path = Path.of(config.data.path);
        final DatasetFormat format = DatasetFormat.parse(config.data.format);
        if (!Files.exists(path)) {
            if (config.data.generateItems <= 0) {
                throw new ConfigException("config", "data.path", path.toAbsolutePath() + " does not exist; run"
                        + " 'funnel generate --out " + path + "' or set data.generateItems");
            }
            log(String.format("generating %d items, %d users, %d events into %s", config.data.generateItems,
                    config.data.generateUsers, config.data.generateEvents, path));
            new SyntheticGenerator()
                    .items(config.data.generateItems)
                    .users(Math.max(1, config.data.generateUsers))
                    .events(Math.max(1, config.data.generateEvents))
                    .seed(config.data.generateSeed)
                    .write(path);
        }
        final long start = System.nanoTime();
        final Dataset data = DatasetReader.read(path, format);
        log(String.format("read %d items and %d interactions from %s (%.1f s)", data.itemCount(), data.size(), path,
                (System.nanoTime() - start) / 1e9));
        return data;
    }

    /** Builds the state, starts Vert.x and the server; blocks until Ctrl-C or {@code durationSeconds}. */
    static int serve(final FunnelConfig config, final Dataset data, final long durationSeconds,
            final ServerReady onReady) throws InterruptedException {
        final ServingState state = new ServingStateBuilder(config, Boot::log)
                .bundleState(ModelServing.bundleState(config, data))
                .build(data);
        warmUp(config, state, data);
        final int loops = eventLoops(config);
        final Vertx vertx = vertx(config);
        final ModelServing models = ModelServing.open(config, state, vertx);
        final FunnelServer server;
        try {
            server = models.configure(FunnelServer.builder(config, state)).start(vertx).await(60, TimeUnit.SECONDS);
        } catch (final Exception e) {
            vertx.close();
            throw new FunnelException("cannot start the server on " + config.server.host + ":"
                    + config.server.port + ": " + e.getMessage(), e);
        }
        log(String.format("serving %d items on http://%s:%d%s (%d event loops, %s transport, model %s)",
                state.itemCount(), config.server.host, server.port(),
                server.binaryPort() < 0 ? "" : " and binary tcp://" + config.server.host + ":" + server.binaryPort(),
                loops,
                config.model.busyPollLoops ? "epoll (busy-polling while ranking)"
                        : vertx.isNativeTransportEnabled() ? "epoll" : "nio",
                state.ranker().version()));
        final CountDownLatch stop = new CountDownLatch(1);
        final Thread hook = new Thread(stop::countDown, "funnel-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        onReady.ready(server, state);
        if (durationSeconds > 0) {
            stop.await(durationSeconds, TimeUnit.SECONDS);
        } else {
            stop.await();
        }
        log("shutting down");
        try {
            server.close().eventually(() -> {
                models.close();
                return vertx.close();
            }).await(10, TimeUnit.SECONDS);
        } catch (final java.util.concurrent.TimeoutException e) {
            log("shutdown took longer than 10 s; exiting anyway");
        }
        return 0;
    }

    /** Event loops the server runs: {@code server.eventLoops}, or one per core. */
    static int eventLoops(final FunnelConfig config) {
        return config.server.eventLoops > 0 ? config.server.eventLoops : Runtime.getRuntime().availableProcessors();
    }

    /**
     * Starts Vert.x as the server needs it: {@link #eventLoops} loops, epoll where {@code server.nativeTransport}
     * allows, and loops that busy-poll while ranking with {@code model.busyPollLoops}.
     *
     * @throws FunnelException if {@code model.busyPollLoops} is on and the epoll transport is not available
     */
    static Vertx vertx(final FunnelConfig config) {
        final int loops = eventLoops(config);
        final VertxOptions options = new VertxOptions()
                .setEventLoopPoolSize(loops)
                .setWorkerPoolSize(Math.max(4, loops * 2))
                .setPreferNativeTransport(config.server.nativeTransport);
        if (!config.model.busyPollLoops) {
            return Vertx.vertx(options);
        }
        try {
            return Vertx.builder().with(options).withTransport(EventLoopPolling.transport()).build();
        } catch (final IllegalStateException e) {
            throw new FunnelException("model.busyPollLoops: " + e.getMessage(), e);
        }
    }

    /**
     * Runs the funnel for a few thousand requests of real users before the server reports ready, so that the first
     * live requests meet a compiled (JIT) code path instead of being degraded by a cold one.
     */
    static void warmUp(final FunnelConfig config, final ServingState state, final Dataset data) {
        final long start = System.nanoTime();
        final var pipeline = ServingStateBuilder.offlinePipeline(state, config);
        final var ctx = pipeline.newContext();
        final int requests = 3_000;
        for (int i = 0; i < requests && data.size() > 0; i++) {
            final long user = data.userId((int) ((long) i * 7919 % data.size()));
            ctx.begin(System.nanoTime(), Long.MAX_VALUE / 4, System.currentTimeMillis());
            ctx.request().clear().userId(i % 10 == 0 ? Long.MAX_VALUE - i : user).count(10);
            pipeline.executeSync(ctx);
        }
        log(String.format("warmed up with %d requests (%.1f s)", requests, (System.nanoTime() - start) / 1e9));
    }

    /** Called once the server listens. */
    @FunctionalInterface
    interface ServerReady {
        void ready(FunnelServer server, ServingState state) throws InterruptedException;
    }
}
