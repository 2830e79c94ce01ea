package io.funnel.engine.server;

import io.funnel.engine.config.FunnelConfig;
import io.funnel.engine.data.Dataset;
import io.funnel.engine.data.SyntheticGenerator;
import io.funnel.engine.offline.ServingState;
import io.funnel.engine.offline.ServingStateBuilder;
import io.funnel.engine.pipeline.Candidates;
import io.funnel.engine.pipeline.RequestContext;
import io.funnel.engine.retrieval.Channel;
import io.vertx.core.Vertx;
import java.util.concurrent.TimeUnit;

/** What the server integration tests share: a small catalog, a test configuration, a channel too slow to wait for. */
public final class ServerFixtures {
    private ServerFixtures() {}

    /** 3,000 items, 1,500 users, 60,000 events, 20 categories, seed 5, ending 2025-11-23. */
    public static Dataset catalog() {
        return new SyntheticGenerator().items(3_000).users(1_500).events(60_000).categories(20).seed(5)
                .endMs(1_763_856_000_000L).generate();
    }

    /** Free ports (HTTP and binary), 2 event loops, 64 KiB bodies and frames, generous budgets; validated. */
    public static FunnelConfig config() {
        final FunnelConfig config = FunnelConfig.defaults();
        config.server.port = 0;
        config.server.binaryPort = 0; // a free port too: never the default 8082, which another run may hold
        config.server.eventLoops = 2;
        config.server.maxBodyBytes = 64 * 1024;
        config.server.maxFrameBytes = 64 * 1024;
        config.popularity.refreshMillis = 50;
        config.model.bprEpochs = 6;
        // Generous budgets: on a busy 2-core CI machine a cold JVM must not degrade answers these tests inspect.
        // The budget tests set tight budgets of their own.
        config.budgets.put("total", "3s");
        config.budgets.put("retrieve", "2s");
        config.budgets.put("rank", "300ms");
        config.budgets.put("reRank", "300ms");
        return config.validate("test");
    }

    /** A server started over {@link #catalog()} and {@link #config()} on its own Vert.x; {@link #close} stops both. */
    record Running(Dataset data, ServingState state, Vertx vertx, FunnelServer server) implements AutoCloseable {
        static Running start() throws Exception {
            final Dataset data = catalog();
            final FunnelConfig config = config();
            final ServingState state = new ServingStateBuilder(config, line -> { }).build(data);
            final Vertx vertx = Vertx.vertx();
            try {
                return new Running(data, state, vertx,
                        FunnelServer.builder(config, state).start(vertx).await(30, TimeUnit.SECONDS));
            } catch (final Exception e) {
                vertx.close().await(10, TimeUnit.SECONDS);
                throw e;
            }
        }

        @Override
        public void close() throws Exception {
            try {
                server.close().await(10, TimeUnit.SECONDS);
            } finally {
                vertx.close().await(10, TimeUnit.SECONDS);
            }
        }
    }

    /**
     * Waits up to 10 s until {@code server} has {@code n} requests in flight: a fixed sleep is not enough for a
     * request to arrive when the machine is busy.
     */
    static void awaitInFlight(final FunnelServer server, final int n) throws InterruptedException {
        final long deadline = System.nanoTime() + 10_000_000_000L;
        while (server.metrics().inFlight().get() < n && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        if (server.metrics().inFlight().get() < n) {
            throw new AssertionError("fewer than " + n + " requests in flight after 10 s");
        }
    }

    /** A channel that takes far longer than any budget (1.5 s): it must be dropped, not waited for. */
    static final class SlowChannel implements Channel {
        @Override
        public String name() {
            return "slow";
        }

        @Override
        public boolean offload() {
            return true;
        }

        @Override
        public void retrieve(final RequestContext ctx, final Candidates out) {
            try {
                Thread.sleep(1_500);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            out.add(0, 1f);
        }
    }
}
