package io.funnel.engine.ingest;

import io.funnel.engine.config.FunnelConfig;
import io.funnel.engine.offline.ServingState;
import io.funnel.engine.server.FunnelServer;
import io.vertx.core.Vertx;
import java.util.concurrent.TimeUnit;

/**
 * The child JVM of {@link DurableIngestKillIT}: serves the small test catalog on a free loopback port with the
 * durable event log in {@code args[0]}, prints {@code LISTENING <port> REPLAYED <events>} once ready, and runs until
 * it is killed (or for 120 s at most, so a lost child never lingers).
 */
public final class DurableServerMain {
    private DurableServerMain() {}

    public static void main(final String[] args) {
        try {
            serve(args);
        } catch (final Throwable e) {
            e.printStackTrace(System.out);
            System.out.flush();
            System.exit(1); // Vert.x and Aeron threads would keep a failed child alive
        }
    }

    private static void serve(final String[] args) throws Exception {
        final FunnelConfig config = IngestFixtures.durableConfig(java.nio.file.Path.of(args[0]),
                args.length > 1 ? args[1] : "data");
        config.server.eventLoops = 2;
        final ServingState state = IngestFixtures.state(IngestFixtures.smallData());
        final Vertx vertx = Vertx.vertx();
        final FunnelServer server = FunnelServer.builder(config, state).start(vertx).await(60, TimeUnit.SECONDS);
        System.out.println("LISTENING " + server.port() + " REPLAYED " + server.metrics().ingest().replayed());
        System.out.flush();
        Thread.sleep(120_000);
        server.close().await(10, TimeUnit.SECONDS);
        vertx.close().await(10, TimeUnit.SECONDS);
        System.exit(0);
    }
}
