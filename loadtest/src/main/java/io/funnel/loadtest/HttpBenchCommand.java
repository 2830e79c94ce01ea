package io.funnel.loadtest;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code funnel bench http}: open-model load against a running Funnel. Requests leave at a constant rate whatever
 * the server does, and each latency is measured from the request's <em>intended</em> send time, so a stalled server
 * shows up in the tail instead of silently slowing the load down (no coordinated omission). In the same run, the
 * same rate is sent to a trivial endpoint of the same server ({@code /health/live}) as the HTTP floor to compare
 * with.
 *
 * <p>Bounded by design: it stops after {@code --warmup + --duration} per target and only talks to the target given.
 */
@Command(name = "http", mixinStandardHelpOptions = true,
        description = "Open-model latency of POST /v1/recommend at a fixed rate, against the HTTP floor of the same"
                + " server (GET /health/live) in the same run.")
public final class HttpBenchCommand implements Callable<Integer> {
    @Option(names = "--target", defaultValue = "http://127.0.0.1:8080", description = "Server (default "
            + "${DEFAULT-VALUE}).")
    URI target;

    @Option(names = "--rate", defaultValue = "500", description = "Requests per second (default ${DEFAULT-VALUE}).")
    int rate;

    @Option(names = "--duration", defaultValue = "30", description = "Measured seconds per target (default "
            + "${DEFAULT-VALUE}).")
    int durationSeconds;

    @Option(names = "--warmup", defaultValue = "5", description = "Unmeasured seconds first (default "
            + "${DEFAULT-VALUE}).")
    int warmupSeconds;

    @Option(names = "--users", defaultValue = "50000", description = "User ids drawn uniformly from 1..N (default "
            + "${DEFAULT-VALUE}).")
    int users;

    @Option(names = "--count", defaultValue = "10", description = "Items per request (default ${DEFAULT-VALUE}).")
    int count;

    @Option(names = "--connections", defaultValue = "32", description = "Keep-alive connections (default "
            + "${DEFAULT-VALUE}).")
    int connections;

    @Option(names = "--no-floor", description = "Skip the /health/live comparison.")
    boolean noFloor;

    @Option(names = "--json", description = "Write the results here.")
    Path json;

    /** One target's results, latencies in microseconds. */
    record Result(String name, long requests, long errors, double seconds, double p50, double p90, double p99,
            double p999, double max) {
        double throughput() {
            return requests / seconds;
        }

        String json() {
            return String.format(Locale.ROOT, "{\"requests\": %d, \"errors\": %d, \"throughput_rps\": %.1f,"
                    + " \"p50_us\": %.0f, \"p90_us\": %.0f, \"p99_us\": %.0f, \"p999_us\": %.0f, \"max_us\": %.0f}",
                    requests, errors, throughput(), p50, p90, p99, p999, max);
        }
    }

    @Override
    public Integer call() throws Exception {
        if (rate <= 0 || rate > 200_000) {
            throw new IllegalArgumentException("--rate must be 1..200000, got " + rate);
        }
        if (!"127.0.0.1".equals(target.getHost()) && !"localhost".equals(target.getHost())) {
            throw new IllegalArgumentException("--target must be on this machine (127.0.0.1 or localhost), got "
                    + target.getHost());
        }
        final Vertx vertx = Vertx.vertx();
        try {
            final HttpClient client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true)
                    .setTcpNoDelay(true), new PoolOptions().setHttp1MaxSize(connections).setMaxWaitQueueSize(-1));
            final io.vertx.core.Context context = vertx.getOrCreateContext();
            final Result recommend = run(context, client, "recommend", true);
            print(recommend);
            Result floor = null;
            if (!noFloor) {
                floor = run(context, client, "health_live", false);
                print(floor);
                System.out.printf(Locale.ROOT, "ratio recommend/floor: p50 %.2fx, p99 %.2fx%n",
                        recommend.p50 / floor.p50, recommend.p99 / floor.p99);
            }
            if (json != null) {
                final StringBuilder b = new StringBuilder();
                b.append(String.format(Locale.ROOT, "{\"target\": \"%s\", \"rate\": %d, \"duration_s\": %d,"
                        + " \"users\": %d, \"count\": %d, \"connections\": %d,%n  \"recommend\": %s", target, rate,
                        durationSeconds, users, count, connections, recommend.json()));
                if (floor != null) {
                    b.append(String.format(Locale.ROOT, ",%n  \"health_live\": %s", floor.json()));
                }
                b.append("\n}\n");
                if (json.getParent() != null) {
                    Files.createDirectories(json.getParent());
                }
                Files.writeString(json, b.toString());
            }
            return recommend.errors() == 0 ? 0 : 1;
        } finally {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
    }

    private void print(final Result r) {
        System.out.printf(Locale.ROOT, "%-12s %8d req %6d err %9.1f req/s  p50 %8.0f  p90 %8.0f  p99 %8.0f  p99.9 %8.0f"
                + "  max %8.0f us%n", r.name, r.requests, r.errors, r.throughput(), r.p50, r.p90, r.p99, r.p999, r.max);
    }

    private Result run(final io.vertx.core.Context context, final HttpClient client, final String name,
            final boolean recommend) throws Exception {
        final Recorder recorder = new Recorder(60_000_000L, 3);
        final AtomicLong errors = new AtomicLong();
        final AtomicLong outstanding = new AtomicLong();
        final SplittableRandom random = new SplittableRandom(42);
        final long intervalNs = 1_000_000_000L / rate;
        final long warmupNs = TimeUnit.SECONDS.toNanos(warmupSeconds);
        final long endNs = warmupNs + TimeUnit.SECONDS.toNanos(durationSeconds);
        final long start = System.nanoTime();
        final int port = target.getPort() > 0 ? target.getPort() : 80;
        long sent = 0;
        while (true) {
            final long intended = start + sent * intervalNs;
            if (intended - start >= endNs) {
                break;
            }
            long wait;
            while ((wait = intended - System.nanoTime()) > 0) {
                LockSupport.parkNanos(Math.min(wait, 200_000));
            }
            final boolean measured = intended - start >= warmupNs;
            outstanding.incrementAndGet();
            final RequestOptions options = new RequestOptions().setHost(target.getHost()).setPort(port)
                    .setMethod(recommend ? HttpMethod.POST : HttpMethod.GET)
                    .setURI(recommend ? "/v1/recommend" : "/health/live");
            final Buffer body = recommend
                    ? Buffer.buffer("{\"userId\": " + (1 + random.nextInt(users)) + ", \"count\": " + count + "}")
                    : null;
            // Issue each request on the client's context so every listener is attached before I/O can complete.
            context.runOnContext(v -> client.request(options)
                    .compose(req -> {
                        if (body != null) {
                            req.putHeader("content-type", "application/json");
                            return req.send(body);
                        }
                        return req.send();
                    })
                    .compose(resp -> resp.body().map(b -> resp.statusCode()))
                    .onComplete(ar -> {
                        final long latencyUs = (System.nanoTime() - intended) / 1_000;
                        if (ar.failed() || ar.result() != 200) {
                            errors.incrementAndGet();
                        } else if (measured) {
                            recorder.recordValue(Math.min(latencyUs, 60_000_000L));
                        }
                        outstanding.decrementAndGet();
                    }));
            sent++;
        }
        final long drainUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (outstanding.get() > 0 && System.nanoTime() < drainUntil) {
            Thread.sleep(5);
        }
        errors.addAndGet(outstanding.get()); // still unanswered after 10 s
        final Histogram h = recorder.getIntervalHistogram();
        return new Result(name, h.getTotalCount(), errors.get(), durationSeconds, h.getValueAtPercentile(50),
                h.getValueAtPercentile(90), h.getValueAtPercentile(99), h.getValueAtPercentile(99.9), h.getMaxValue());
    }

    /** Runs the benchmark on its own. */
    public static void main(final String[] args) {
        System.exit(new picocli.CommandLine(new HttpBenchCommand()).execute(args));
    }
}
