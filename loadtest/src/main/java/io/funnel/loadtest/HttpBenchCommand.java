package io.funnel.loadtest;

import io.funnel.loadtest.OpenModel.Result;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
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
    @Mixin
    LoadOptions load;

    @Option(names = "--duration", defaultValue = "30", description = "Measured seconds per target (default "
            + "${DEFAULT-VALUE}).")
    int durationSeconds;

    @Option(names = "--no-floor", description = "Skip the /health/live comparison.")
    boolean noFloor;

    @Option(names = "--json", description = "Write the results here.")
    Path json;

    @Override
    public Integer call() throws Exception {
        load.validate();
        final Vertx vertx = Vertx.vertx();
        try {
            final HttpClient client = load.httpClient(vertx);
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
                        + " \"users\": %d, \"count\": %d, \"connections\": %d,%n  \"recommend\": %s", load.target,
                        load.rate, durationSeconds, load.users, load.count, load.connections, recommend.json()));
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
        return OpenModel.run(name, load.rate, load.warmupSeconds, durationSeconds,
                load.httpSender(context, client, recommend), null);
    }

    /** Runs the benchmark on its own. */
    public static void main(final String[] args) {
        System.exit(new picocli.CommandLine(new HttpBenchCommand()).execute(args));
    }
}
