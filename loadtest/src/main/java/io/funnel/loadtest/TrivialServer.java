package io.funnel.loadtest;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import java.util.concurrent.TimeUnit;

/**
 * The load generators' yardstick: a Vert.x HTTP server on one event loop (native epoll when available) that answers
 * every request with a fixed 2-byte body, so the client is what limits the rate. Started by
 * {@code funnel bench loadgen} as its own process; {@code main(port, seconds)} serves on 127.0.0.1 and exits after
 * the given seconds.
 */
public final class TrivialServer {
    private static final Buffer OK = Buffer.buffer("ok");

    private TrivialServer() {}

    /** Starts the server on {@code vertx} and returns its bound port (0 picks a free one). */
    public static HttpServer start(final Vertx vertx, final int port) throws java.util.concurrent.TimeoutException {
        return vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(port).setTcpNoDelay(true))
                .requestHandler(req -> req.response().putHeader("content-type", "text/plain").end(OK))
                .listen()
                .await(10, TimeUnit.SECONDS);
    }

    /** {@code port seconds}: serves on 127.0.0.1:port with one event loop and exits after {@code seconds}. */
    public static void main(final String[] args) throws Exception {
        final int port = Integer.parseInt(args[0]);
        final long seconds = Long.parseLong(args[1]);
        final Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setPreferNativeTransport(true));
        final HttpServer server = start(vertx, port);
        System.out.println("trivial server on 127.0.0.1:" + server.actualPort() + " (native transport: "
                + vertx.isNativeTransportEnabled() + ")");
        System.out.flush();
        Thread.sleep(TimeUnit.SECONDS.toMillis(seconds));
        vertx.close().await(5, TimeUnit.SECONDS);
        System.exit(0);
    }
}
