package io.funnel.engine.server;

import io.funnel.engine.admin.AdminVerticle;
import io.funnel.engine.config.FunnelConfig;
import io.funnel.engine.ingest.EventIngestion;
import io.funnel.engine.ingest.EventIntake;
import io.funnel.engine.metrics.FunnelMetrics;
import io.funnel.engine.offline.Channels;
import io.funnel.engine.offline.ServingState;
import io.funnel.engine.pipeline.Budgets;
import io.funnel.engine.pipeline.Pipeline;
import io.funnel.engine.rerank.ReRankPolicies;
import io.funnel.engine.retrieval.Channel;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A running Funnel HTTP server over a {@link ServingState}: the pipeline, the event applier, one HTTP listener per
 * event loop sharing the port and, unless {@code server.binaryPort} is -1, one binary (SBE over TCP) listener per
 * event loop sharing the binary port.
 *
 * <pre>{@code
 * FunnelServer.builder(config, state).start(vertx)
 *     .onSuccess(server -> System.out.println("listening on " + server.port()));
 * }</pre>
 *
 * <p>Threading: {@link #close()} may be called from any thread; the rest is read-only after start.
 */
public final class FunnelServer {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(FunnelServer.class);
    private final Vertx vertx;
    private final Pipeline pipeline;
    private final EventIngestion ingestion;
    private final FunnelMetrics metrics;
    private final int port;
    private final List<String> deployments;
    private final AtomicBoolean ready;
    private final AdminVerticle.AdminHooks hooks;
    private final int adminPort;
    private final int binaryPort;

    private FunnelServer(final Vertx vertx, final Pipeline pipeline, final EventIngestion ingestion,
            final FunnelMetrics metrics, final int port, final List<String> deployments, final AtomicBoolean ready,
            final AdminVerticle.AdminHooks hooks, final int adminPort, final int binaryPort) {
        this.binaryPort = binaryPort;
        this.hooks = hooks;
        this.adminPort = adminPort;
        this.vertx = vertx;
        this.pipeline = pipeline;
        this.ingestion = ingestion;
        this.metrics = metrics;
        this.port = port;
        this.deployments = deployments;
        this.ready = ready;
    }

    /** Starts configuring a server for {@code state}. */
    public static Builder builder(final FunnelConfig config, final ServingState state) {
        return new Builder(config, state);
    }

    /** The port actually bound (useful when the config asked for 0). */
    public int port() {
        return port;
    }

    public Pipeline pipeline() {
        return pipeline;
    }

    public FunnelMetrics metrics() {
        return metrics;
    }

    /** The binary endpoint's port actually bound, or -1 when it is off ({@code server.binaryPort: -1}). */
    public int binaryPort() {
        return binaryPort;
    }

    /** The admin listener's port, or -1 when the admin API is off (no token configured). */
    public int adminPort() {
        return adminPort;
    }

    /** Stops admitting requests (they get 503) and reports not ready; in-flight requests finish. */
    public int drain() {
        return hooks.drain();
    }

    /** Whether {@code /health/ready} reports up. */
    public boolean ready() {
        return ready.get();
    }

    /** The event path: intake, applier, durable log and ingress stream. */
    public EventIngestion ingestion() {
        return ingestion;
    }

    /**
     * Stops the listeners, then the event path: the ingress stream, the applier (which first appends and applies what
     * it has queued) and the event log.
     */
    public Future<Void> close() {
        ready.set(false);
        final List<Future<Void>> undeploys = new ArrayList<>();
        for (final String id : deployments) {
            undeploys.add(vertx.undeploy(id));
        }
        return Future.join(undeploys).<Void>mapEmpty().eventually(() -> vertx.executeBlocking(() -> {
            ingestion.close();
            return null;
        }, false));
    }

    /** Configures and starts a {@link FunnelServer}. */
    public static final class Builder {
        private final FunnelConfig config;
        private final ServingState state;
        private List<Channel> channels;
        private java.util.function.Supplier<Future<String>> modelReload;
        private io.funnel.model.MicroBatcher batcher;

        private Builder(final FunnelConfig config, final ServingState state) {
            this.config = config;
            this.state = state;
        }

        /** Replaces the configured retrieval channels (for embedding Funnel with custom channels, and tests). */
        public Builder channels(final List<Channel> value) {
            channels = List.copyOf(value);
            return this;
        }

        /** Ranks through this micro-batcher (scoring with the state's ranker) instead of inline. */
        public Builder batcher(final io.funnel.model.MicroBatcher value) {
            batcher = value;
            return this;
        }

        /** What {@code POST /admin/models/reload} calls; without it that route answers 501. */
        public Builder modelReload(final java.util.function.Supplier<Future<String>> reload) {
            modelReload = reload;
            return this;
        }

        /** Builds the pipeline and binds the listeners: the first on the configured port, the others beside it. */
        public Future<FunnelServer> start(final Vertx vertx) {
            final FunnelMetrics metrics = new FunnelMetrics();
            metrics.modelVersion(() -> state.ranker().version());
            metrics.scoreReference(state.scoreReference());
            if (state.featureEdges() != null) {
                final String[] names = ServingState.DRIFT_FEATURES.toArray(new String[0]);
                final int[] columns = new int[names.length];
                for (int i = 0; i < names.length; i++) {
                    columns[i] = io.funnel.engine.pipeline.RankFeatures.NAMES.indexOf(names[i]);
                }
                metrics.featureReference(names, columns, state.featureEdges());
            }
            if (batcher != null) {
                metrics.rankBatcher(batcher::queueDepth, batcher::batches, batcher::rowsScored);
            }
            final Budgets budgets = new Budgets(config.budgetsMicros("config"));
            final List<Channel> chosen = channels != null ? channels : Channels.create(state, config, true);
            final Pipeline pipeline = new Pipeline(state, chosen, new ReRankPolicies(config, state), budgets, metrics,
                    config.preRank.keep, config.filters.excludeSeen, config.filters.excludeOutOfStock, vertx, batcher);
            final Runnable pinApplier = () -> ThreadPinning.pin("event applier", config.cpus.ingest);
            final int loops = config.server.eventLoops > 0
                    ? config.server.eventLoops
                    : Runtime.getRuntime().availableProcessors();
            final AtomicBoolean ready = new AtomicBoolean();
            final List<String> ids = new ArrayList<>();
            final AtomicBoolean draining = new AtomicBoolean();
            final AdminVerticle.AdminHooks hooks = new AdminVerticle.AdminHooks() {
                @Override
                public int drain() {
                    draining.set(true);
                    ready.set(false);
                    return metrics.inFlight().get();
                }

                @Override
                public boolean draining() {
                    return draining.get();
                }

                @Override
                public java.util.function.Supplier<Future<String>> modelReload() {
                    return modelReload;
                }
            };
            final AdminVerticle admin = new AdminVerticle(config, budgets, metrics, hooks);
            // All listeners share one port, which Vert.x binds once; port 0 means "pick a free one" first.
            final int port;
            final int binaryPort;
            try {
                port = config.server.port != 0 ? config.server.port : freePort(config.server.host);
                binaryPort = config.server.binaryPort != 0 ? config.server.binaryPort : freePort(config.server.host);
            } catch (final java.io.IOException e) {
                return Future.failedFuture(e);
            }
            // The event path first: a durable log is replayed before the server listens and reports ready.
            return EventIngestion.startAsync(vertx, config, state, metrics, pinApplier).compose(ingestion -> {
                metrics.eventQueueDepth(ingestion.applier()::queueDepth);
                final Future<String> adminDeployed;
                if (admin.enabled()) {
                    adminDeployed = vertx.deployVerticle(admin);
                } else {
                    LOG.info("admin API off: no token configured (set admin.tokens in the config or"
                            + " FUNNEL_ADMIN_TOKEN)");
                    adminDeployed = Future.succeededFuture();
                }
                return adminDeployed
                        .compose(adminId -> {
                            if (adminId != null) {
                                ids.add(adminId);
                            }
                            return deploy(vertx, pipeline, ingestion.intake(), metrics, port, loops, ready, draining);
                        })
                        .compose(id -> {
                            ids.add(id);
                            return binaryPort < 0 ? Future.succeededFuture((String) null)
                                    : deployBinary(vertx, pipeline, ingestion.intake(), metrics, binaryPort, loops,
                                            draining);
                        })
                        .map(id -> {
                            if (id != null) {
                                ids.add(id);
                            }
                            ready.set(true);
                            return new FunnelServer(vertx, pipeline, ingestion, metrics, port, ids, ready, hooks,
                                    admin.enabled() ? admin.port() : -1, binaryPort);
                        })
                        .onFailure(e -> {
                            ids.forEach(vertx::undeploy);
                            vertx.executeBlocking(() -> {
                                ingestion.close();
                                return null;
                            }, false);
                        });
            });
        }

        private static int freePort(final String host) throws java.io.IOException {
            try (java.net.ServerSocket socket = new java.net.ServerSocket()) {
                socket.setReuseAddress(true);
                socket.bind(new java.net.InetSocketAddress(host, 0));
                return socket.getLocalPort();
            }
        }

        /** The binary endpoint: one {@link BinaryApiVerticle} per event loop, sharing {@code port}. */
        private Future<String> deployBinary(final Vertx vertx, final Pipeline pipeline, final EventIntake intake,
                final FunnelMetrics metrics, final int port, final int instances, final AtomicBoolean draining) {
            final io.vertx.core.net.NetServerOptions options = new io.vertx.core.net.NetServerOptions()
                    .setHost(config.server.host)
                    .setPort(port)
                    .setTcpNoDelay(true)
                    .setReusePort(true);
            return vertx.deployVerticle(
                    () -> new BinaryApiVerticle(pipeline, intake, metrics, options, config.server.maxInFlight,
                            config.server.maxFrameBytes, draining::get, config.cpus.eventLoops),
                    new DeploymentOptions().setInstances(instances).setThreadingModel(ThreadingModel.EVENT_LOOP));
        }

        private Future<String> deploy(final Vertx vertx, final Pipeline pipeline, final EventIntake intake,
                final FunnelMetrics metrics, final int port, final int instances,
                final AtomicBoolean ready, final AtomicBoolean draining) {
            final HttpServerOptions options = new HttpServerOptions()
                    .setHost(config.server.host)
                    .setPort(port)
                    .setTcpNoDelay(true)
                    .setReusePort(true)
                    .setCompressionSupported(false);
            return vertx.deployVerticle(
                    () -> new HttpApiVerticle(pipeline, intake, metrics, options, config.server.maxInFlight,
                            config.server.maxBodyBytes, ready::get, draining::get, config.cpus.eventLoops),
                    new DeploymentOptions().setInstances(instances).setThreadingModel(ThreadingModel.EVENT_LOOP));
        }
    }
}
