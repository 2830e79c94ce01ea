package io.funnel.loadtest.http;

import io.funnel.loadtest.spi.Driver;
import io.funnel.loadtest.spi.DriverOptions;
import io.funnel.loadtest.spi.LoadRequest;
import io.funnel.loadtest.spi.LoadResponse;
import io.funnel.loadtest.spi.Outcome;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import java.net.ConnectException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * The HTTP driver: Funnel's JSON API over keep-alive connections, HTTP/1.1 or h2c (HTTP/2 over clear text with prior
 * knowledge). HTTP/1.1 goes through a lean codec over Vert.x TCP sockets ({@link Http1Pool}), h2c through the Vert.x
 * HTTP client. {@link LoadRequest.Recommend} becomes {@code POST /v1/recommend},
 * {@link LoadRequest.Event} {@code POST /v1/events} (a batch of one), {@link LoadRequest.Ping} {@code GET
 * /health/live}. A 2xx answer is {@link Outcome#OK}, 503 and 429 {@link Outcome#OVERLOADED}.
 *
 * <p>Threading: as {@link Driver}; its I/O threads are the Vert.x event loops it owns (native epoll when available).
 */
public final class HttpDriver implements Driver {
    private final Vertx vertx;
    private final HttpClientAgent client;
    private final NetClient netClient;
    private final Http1Pool[] pools;
    private final String hostHeader;
    private final int port;
    private final int perLoop;
    private final long timeoutMs;
    private final Buffer pingBytes;
    private final String recommendPath;
    private final String eventsPath;
    private final Context[] contexts;
    private final Thread[] threads;
    private final String host;
    private final RequestOptions recommend;
    private final RequestOptions events;
    private final RequestOptions ping;
    private final AtomicInteger next = new AtomicInteger();

    /**
     * Connects lazily to {@code target} ({@code http://host:port}).
     *
     * @throws IllegalArgumentException when the target has no host
     */
    public HttpDriver(final URI target, final DriverOptions options) {
        if (target.getHost() == null) {
            throw new IllegalArgumentException("target must look like http://host:port, got " + target);
        }
        port = target.getPort() > 0 ? target.getPort() : 80;
        host = target.getHost();
        hostHeader = host + ":" + port;
        vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(options.ioThreads()).setPreferNativeTransport(true));
        final boolean h2 = "h2c".equals(options.protocol());
        final HttpClientOptions clientOptions = new HttpClientOptions().setKeepAlive(true).setTcpNoDelay(true)
                .setDefaultHost(target.getHost()).setDefaultPort(port);
        if (h2) {
            clientOptions.setProtocolVersion(HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false)
                    .setHttp2MultiplexingLimit(-1);
        }
        client = h2 ? vertx.createHttpClient(clientOptions, new PoolOptions().setHttp1MaxSize(options.connections())
                .setHttp2MaxSize(options.connections()).setMaxWaitQueueSize(-1)) : null;
        netClient = h2 ? null : vertx.createNetClient(new NetClientOptions().setTcpNoDelay(true)
                .setConnectTimeout((int) Math.min(options.requestTimeoutMs(), 10_000)));
        pools = new Http1Pool[options.ioThreads()];
        perLoop = Math.max(1, options.connections() / options.ioThreads());
        timeoutMs = options.requestTimeoutMs();
        contexts = new Context[options.ioThreads()];
        threads = new Thread[contexts.length];
        final CountDownLatch started = new CountDownLatch(contexts.length);
        for (int i = 0; i < contexts.length; i++) {
            contexts[i] = vertx.getOrCreateContext(); // each call from a non-Vert.x thread picks the next event loop
            final int index = i;
            contexts[i].runOnContext(v -> {
                threads[index] = Thread.currentThread();
                started.countDown();
            });
        }
        try {
            if (!started.await(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the driver's event loops did not start");
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting the driver", e);
        }
        final String base = target.getPath() == null ? "" : target.getPath().replaceAll("/+$", "");
        recommendPath = base + "/v1/recommend";
        eventsPath = base + "/v1/events";
        pingBytes = Http1Pool.encode("GET", base + "/health/live", hostHeader, null);
        recommend = new RequestOptions().setMethod(HttpMethod.POST).setURI(base + "/v1/recommend")
                .setTimeout(options.requestTimeoutMs()).putHeader("content-type", "application/json");
        events = new RequestOptions().setMethod(HttpMethod.POST).setURI(base + "/v1/events")
                .setTimeout(options.requestTimeoutMs()).putHeader("content-type", "application/json");
        ping = new RequestOptions().setMethod(HttpMethod.GET).setURI(base + "/health/live")
                .setTimeout(options.requestTimeoutMs());
    }

    @Override
    public void execute(final Runnable task) {
        final Context context = contexts.length == 1 ? contexts[0]
                : contexts[(next.getAndIncrement() & Integer.MAX_VALUE) % contexts.length];
        context.runOnContext(v -> task.run());
    }

    @Override
    public void send(final LoadRequest request, final Consumer<LoadResponse> completion) {
        if (netClient != null) {
            final Buffer bytes = switch (request) {
                case LoadRequest.Recommend r -> Http1Pool.encode("POST", recommendPath, hostHeader, recommendJson(r));
                case LoadRequest.Event e -> Http1Pool.encode("POST", eventsPath, hostHeader, eventJson(e));
                case LoadRequest.Ping p -> pingBytes;
            };
            pool().send(bytes, completion);
            return;
        }
        final RequestOptions options;
        final Buffer body;
        switch (request) {
            case LoadRequest.Recommend r -> {
                options = recommend;
                body = Buffer.buffer(recommendJson(r));
            }
            case LoadRequest.Event e -> {
                options = events;
                body = Buffer.buffer(eventJson(e));
            }
            case LoadRequest.Ping p -> {
                options = ping;
                body = null;
            }
        }
        client.request(options)
                .compose(req -> body == null ? req.send() : req.send(body))
                .compose(HttpDriver::read)
                .onComplete(ar -> completion.accept(ar.succeeded() ? ar.result() : failure(ar.cause())));
    }

    /** The pool of the calling event loop, created there on first use (so its timers run there too). */
    private Http1Pool pool() {
        final Thread current = Thread.currentThread();
        for (int i = 0; i < threads.length; i++) {
            if (threads[i] == current) {
                if (pools[i] == null) {
                    pools[i] = new Http1Pool(vertx, netClient, host, port, perLoop, timeoutMs);
                }
                return pools[i];
            }
        }
        throw new IllegalStateException("HttpDriver.send must be called on one of the driver's I/O threads");
    }

    static String eventJson(final LoadRequest.Event e) {
        return "{\"events\":[{\"userId\":" + e.userId() + ",\"itemId\":" + e.itemId() + ",\"type\":\"" + e.kind()
                + "\"}]}";
    }

    static String recommendJson(final LoadRequest.Recommend r) {
        final StringBuilder b = new StringBuilder(64).append("{\"userId\":").append(r.userId())
                .append(",\"count\":").append(r.count());
        if (r.category() != LoadRequest.Recommend.NO_CATEGORY) {
            b.append(",\"context\":{\"category\":").append(r.category()).append('}');
        }
        return b.append('}').toString();
    }

    private static Future<LoadResponse> read(final HttpClientResponse response) {
        final int status = response.statusCode();
        return response.body().map(b -> new HttpResponse(classify(status), status, b));
    }

    /** The outcome of an HTTP status. */
    static Outcome classify(final int status) {
        if (status >= 200 && status < 300) {
            return Outcome.OK;
        }
        if (status == 503 || status == 429) {
            return Outcome.OVERLOADED;
        }
        return status >= 500 ? Outcome.SERVER_ERROR : Outcome.CLIENT_ERROR;
    }

    static LoadResponse failure(final Throwable cause) {
        final Outcome outcome;
        if (cause instanceof TimeoutException || cause.getClass().getSimpleName().contains("Timeout")) {
            outcome = Outcome.TIMEOUT;
        } else if (cause instanceof ConnectException) {
            outcome = Outcome.CONNECT_ERROR;
        } else {
            outcome = Outcome.IO_ERROR;
        }
        return LoadResponse.failed(outcome, String.valueOf(cause.getMessage()));
    }

    @Override
    public void close() {
        try {
            if (client != null) {
                client.close().await(5, TimeUnit.SECONDS);
            }
        } catch (final Exception ignored) {
            // closing anyway
        }
        try {
            vertx.close().await(5, TimeUnit.SECONDS);
        } catch (final Exception ignored) {
            // threads are daemons
        }
    }

    /** An answer with its body, decoded to text only when a check asks. */
    record HttpResponse(Outcome outcome, int status, Buffer body) implements LoadResponse {
        @Override
        public String text() {
            return body.toString(StandardCharsets.UTF_8);
        }
    }
}
