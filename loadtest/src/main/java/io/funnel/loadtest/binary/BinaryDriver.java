package io.funnel.loadtest.binary;

import io.funnel.codecs.EventBatch;
import io.funnel.codecs.EventType;
import io.funnel.codecs.JsonCodec;
import io.funnel.codecs.RecommendRequest;
import io.funnel.codecs.RecommendResponse;
import io.funnel.codecs.client.ErrorReplyException;
import io.funnel.codecs.client.FunnelClient;
import io.funnel.loadtest.spi.Driver;
import io.funnel.loadtest.spi.DriverOptions;
import io.funnel.loadtest.spi.LoadRequest;
import io.funnel.loadtest.spi.LoadResponse;
import io.funnel.loadtest.spi.Outcome;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.net.ConnectException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * The load-test driver for Funnel's binary endpoint (SBE frames over TCP, {@code funnel://host:port}), on
 * {@link FunnelClient}: pipelined requests over {@link DriverOptions#connections()} connections. Recommend requests
 * become {@code RecommendRequest} frames, events one-event {@code EventBatch} frames; an {@code Error} frame maps to
 * an {@link Outcome} by its status (4xx client error, 503 overloaded, other 5xx server error). The answer's text,
 * for checks, is the response rendered as the HTTP API's JSON, built only when a check asks for it.
 *
 * <p>Threading: as {@link Driver}: completions run on the I/O thread that sent the request.
 */
public final class BinaryDriver implements Driver {
    private final Vertx vertx;
    private final Context[] contexts;
    private final AtomicInteger next = new AtomicInteger();
    private final FunnelClient client;

    /**
     * Connects to {@code target} ({@code funnel://127.0.0.1:8082}); waits at most 10 s for the connections.
     *
     * @throws IllegalArgumentException when the target has no host or port, or cannot be reached (the message names
     *                                  it)
     */
    public BinaryDriver(final URI target, final DriverOptions options) {
        if (target.getHost() == null || target.getPort() <= 0) {
            throw new IllegalArgumentException("binary target needs a host and a port, e.g. funnel://127.0.0.1:8082;"
                    + " got " + target);
        }
        vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(options.ioThreads()).setPreferNativeTransport(true));
        contexts = new Context[options.ioThreads()];
        for (int i = 0; i < contexts.length; i++) {
            contexts[i] = vertx.getOrCreateContext();
        }
        try {
            client = FunnelClient.builder().vertx(vertx).host(target.getHost()).port(target.getPort())
                    .connections(options.connections()).timeout(Duration.ofMillis(options.requestTimeoutMs()))
                    .connect().get(10, TimeUnit.SECONDS);
        } catch (final Exception e) {
            vertx.close();
            throw new IllegalArgumentException("cannot connect to the binary endpoint " + target + ": "
                    + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()), e);
        }
    }

    @Override
    public void execute(final Runnable task) {
        final Context context = contexts.length == 1 ? contexts[0]
                : contexts[(next.getAndIncrement() & Integer.MAX_VALUE) % contexts.length];
        context.runOnContext(v -> task.run());
    }

    @Override
    public void send(final LoadRequest request, final Consumer<LoadResponse> completion) {
        final Context caller = Vertx.currentContext();
        final Consumer<LoadResponse> back = caller == null ? completion
                : response -> {
                    if (Vertx.currentContext() == caller) {
                        completion.accept(response);
                    } else {
                        caller.runOnContext(v -> completion.accept(response));
                    }
                };
        switch (request) {
            case LoadRequest.Recommend r -> {
                final RecommendRequest req = new RecommendRequest().userId(r.userId()).count(r.count());
                if (r.category() != LoadRequest.Recommend.NO_CATEGORY) {
                    req.category(r.category());
                }
                deliver(client.recommend(req), BinaryDriver::answer, back);
            }
            case LoadRequest.Event e -> {
                final EventType type = EventType.parse(e.kind());
                if (type == null) {
                    back.accept(LoadResponse.failed(Outcome.CLIENT_ERROR, "unknown event kind " + e.kind()));
                    return;
                }
                final EventBatch batch = new EventBatch(1).add(e.userId(), e.itemId(), type, 0L);
                deliver(client.send(batch), ack -> ok("{\"accepted\":" + ack.accepted() + "}"), back);
            }
            case LoadRequest.Ping p -> back.accept(LoadResponse.failed(Outcome.CLIENT_ERROR,
                    "the binary protocol has no ping message; use recommend or event requests"));
        }
    }

    private static <T> void deliver(final CompletableFuture<T> future,
            final java.util.function.Function<T, LoadResponse> onAnswer, final Consumer<LoadResponse> completion) {
        future.whenComplete((answer, failure) -> completion.accept(failure == null ? onAnswer.apply(answer)
                : failed(failure instanceof CompletionException && failure.getCause() != null
                        ? failure.getCause() : failure)));
    }

    /** An answer whose text is rendered on first use (checks only). */
    private static final class Answer implements LoadResponse {
        private final Outcome outcome;
        private final int status;
        private java.util.function.Supplier<String> render;
        private String text;

        Answer(final Outcome outcome, final int status, final java.util.function.Supplier<String> render) {
            this.outcome = outcome;
            this.status = status;
            this.render = render;
        }

        @Override
        public Outcome outcome() {
            return outcome;
        }

        @Override
        public int status() {
            return status;
        }

        @Override
        public String text() {
            if (text == null) {
                text = render.get();
                render = null;
            }
            return text;
        }
    }

    private static LoadResponse answer(final RecommendResponse response) {
        return new Answer(Outcome.OK, 200,
                () -> new String(JsonCodec.encodeResponse(response), StandardCharsets.UTF_8));
    }

    private static LoadResponse ok(final String text) {
        return new Answer(Outcome.OK, 200, () -> text);
    }

    /** Maps a failed request to its outcome; an {@code Error} frame keeps its status and reason. */
    static LoadResponse failed(final Throwable failure) {
        if (failure instanceof ErrorReplyException error) {
            final int status = error.status();
            final Outcome outcome = status == 503 || status == 429 ? Outcome.OVERLOADED
                    : status >= 400 && status < 500 ? Outcome.CLIENT_ERROR : Outcome.SERVER_ERROR;
            return new Answer(outcome, status, error::getMessage);
        }
        final Outcome outcome = failure instanceof TimeoutException ? Outcome.TIMEOUT
                : failure instanceof ConnectException ? Outcome.CONNECT_ERROR : Outcome.IO_ERROR;
        return LoadResponse.failed(outcome, String.valueOf(failure.getMessage()));
    }

    @Override
    public void close() {
        try {
            client.close();
        } finally {
            try {
                vertx.close().await(5, TimeUnit.SECONDS);
            } catch (final Exception e) {
                // closing anyway: the harness is done with this driver
            }
        }
    }
}
