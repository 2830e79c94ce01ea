package io.funnel.loadtest;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import java.net.URI;
import java.util.concurrent.TimeUnit;

/** A {@link TrivialServer} on a free 127.0.0.1 port with its own Vert.x, for tests; close it when done. */
final class LocalServer implements AutoCloseable {
    final Vertx vertx;
    final HttpServer server;

    private LocalServer(final Vertx vertx) throws Exception {
        this.vertx = vertx;
        this.server = TrivialServer.start(vertx, 0);
    }

    /** A server on the default event loops. */
    static LocalServer start() throws Exception {
        return new LocalServer(Vertx.vertx());
    }

    /** A server on one event loop that tolerates it being blocked for a while (for stall tests). */
    static LocalServer singleLoop() throws Exception {
        return new LocalServer(Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1)
                .setBlockedThreadCheckInterval(10_000)));
    }

    /** {@code http://127.0.0.1:port}. */
    URI uri() {
        return URI.create("http://127.0.0.1:" + server.actualPort());
    }

    @Override
    public void close() {
        try {
            vertx.close().await(10, TimeUnit.SECONDS);
        } catch (final java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("the test server did not close within 10 s", e);
        }
    }
}
