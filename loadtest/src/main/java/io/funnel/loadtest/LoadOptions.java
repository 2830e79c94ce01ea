package io.funnel.loadtest;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;
import java.net.URI;
import picocli.CommandLine.Option;

/**
 * The options every open-model benchmark of a running server shares (a picocli mixin): the target, the rate, the
 * warm-up, the request mix and the HTTP connection pool. Read-only once parsed.
 */
public final class LoadOptions {
    @Option(names = "--target", defaultValue = "http://127.0.0.1:8080", description = "The server's HTTP API"
            + " (default ${DEFAULT-VALUE}).")
    public URI target;

    @Option(names = "--rate", defaultValue = "500", description = "Requests per second (default ${DEFAULT-VALUE}).")
    public int rate;

    @Option(names = "--warmup", defaultValue = "5", description = "Unmeasured seconds first (default "
            + "${DEFAULT-VALUE}).")
    public int warmupSeconds;

    @Option(names = "--users", defaultValue = "50000", description = "User ids drawn uniformly from 1..N (default "
            + "${DEFAULT-VALUE}).")
    public int users;

    @Option(names = "--count", defaultValue = "10", description = "Items per request (default ${DEFAULT-VALUE}).")
    public int count;

    @Option(names = "--connections", defaultValue = "32", description = "HTTP keep-alive connections (default "
            + "${DEFAULT-VALUE}).")
    public int connections;

    /**
     * @throws IllegalArgumentException naming the option: a rate outside 1..200,000, or a target not on this machine
     */
    public void validate() {
        if (rate <= 0 || rate > 200_000) {
            throw new IllegalArgumentException("--rate must be 1..200000, got " + rate);
        }
        if (!"127.0.0.1".equals(target.getHost()) && !"localhost".equals(target.getHost())) {
            throw new IllegalArgumentException("--target must be on this machine (127.0.0.1 or localhost), got "
                    + target.getHost());
        }
    }

    /** The target's port (80 when the URI names none). */
    public int port() {
        return target.getPort() > 0 ? target.getPort() : 80;
    }

    /** A keep-alive HTTP/1.1 client with {@code --connections} connections and an unbounded wait queue. */
    public HttpClient httpClient(final Vertx vertx) {
        return vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setTcpNoDelay(true),
                new PoolOptions().setHttp1MaxSize(connections).setMaxWaitQueueSize(-1));
    }

    /** {@link OpenModel#http} with these options and the user sequence of seed 42. */
    public OpenModel.Sender httpSender(final Context context, final HttpClient client, final boolean recommend) {
        return OpenModel.http(context, client, target.getHost(), port(), recommend, users, count, 42);
    }
}
