package io.funnel.loadtest;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import java.net.URI;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A {@link TrivialServer} on a free 127.0.0.1 port with its own Vert.x, for tests. As a JUnit extension
 * ({@code @RegisterExtension static final LocalServer SERVER = LocalServer.create();}) it starts before the class's
 * tests and stops after them; otherwise use {@link #open()} and close it.
 */
final class LocalServer implements BeforeAllCallback, AfterAllCallback, AutoCloseable {
    private final VertxOptions options;
    Vertx vertx;
    HttpServer server;

    private LocalServer(final VertxOptions options) {
        this.options = options;
    }

    /** A server on the default event loops, started by JUnit. */
    static LocalServer create() {
        return new LocalServer(new VertxOptions());
    }

    /** A server on one event loop that tolerates it being blocked for a while (for stall tests), started by JUnit. */
    static LocalServer singleLoop() {
        return new LocalServer(new VertxOptions().setEventLoopPoolSize(1).setBlockedThreadCheckInterval(10_000));
    }

    /** A server started now; close it when done. */
    static LocalServer open() throws TimeoutException {
        final LocalServer s = create();
        s.start();
        return s;
    }

    private void start() throws TimeoutException {
        vertx = Vertx.vertx(options);
        server = TrivialServer.start(vertx, 0);
    }

    /** {@code http://127.0.0.1:port}. */
    URI uri() {
        return URI.create("http://127.0.0.1:" + server.actualPort());
    }

    @Override
    public void beforeAll(final ExtensionContext context) throws TimeoutException {
        start();
    }

    @Override
    public void afterAll(final ExtensionContext context) {
        close();
    }

    @Override
    public void close() {
        if (vertx == null) {
            return;
        }
        try {
            vertx.close().await(10, TimeUnit.SECONDS);
        } catch (final TimeoutException e) {
            throw new IllegalStateException("the test server did not close within 10 s", e);
        }
    }
}
