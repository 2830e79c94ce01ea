package io.funnel.loadtest;

import io.funnel.loadtest.OpenModel.Result;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code funnel bench http}: open-model load against a running Funnel ({@link OpenModel}: a constant rate whatever
 * the server does, each latency measured from the request's <em>intended</em> send time, so a stalled server shows up
 * in the tail instead of silently slowing the load down: no coordinated omission). In the same run, the
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
            recommend.print();
            Result floor = null;
            if (!noFloor) {
                floor = run(context, client, "health_live", false);
                floor.print();
                System.out.printf(Locale.ROOT, "ratio recommend/floor: p50 %.2fx, p99 %.2fx%n",
                        recommend.p50() / floor.p50(), recommend.p99() / floor.p99());
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

    private Result run(final io.vertx.core.Context context, final HttpClient client, final String name,
            final boolean recommend) throws InterruptedException {
        final int port = target.getPort() > 0 ? target.getPort() : 80;
        return OpenModel.run(name, rate, warmupSeconds, durationSeconds,
                OpenModel.http(context, client, target.getHost(), port, recommend, users, count, 42), null);
    }

    /** Runs the benchmark on its own. */
    public static void main(final String[] args) {
        System.exit(new picocli.CommandLine(new HttpBenchCommand()).execute(args));
    }
}
