package io.funnel.engine.cli;

import io.funnel.engine.config.FunnelConfig;
import io.funnel.engine.data.Dataset;
import io.funnel.engine.data.SyntheticGenerator;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code funnel demo}: generates a catalog (once), builds everything, serves on 127.0.0.1, shows three example
 * requests with curl and their answers, and keeps serving.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Generate a demo catalog, build, serve on 127.0.0.1 and show example requests with curl.")
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--items", defaultValue = "100000", description = "Items (default ${DEFAULT-VALUE}).")
    int items;

    @Option(names = "--users", defaultValue = "50000", description = "Users (default ${DEFAULT-VALUE}).")
    int users;

    @Option(names = "--events", defaultValue = "1000000", description = "Interactions (default ${DEFAULT-VALUE}).")
    int events;

    @Option(names = "--data", defaultValue = "data/demo", description = "Where the demo data lives (default "
            + "${DEFAULT-VALUE}); regenerated when the sizes differ.")
    Path data;

    @Option(names = "--port", defaultValue = "8080", description = "Port on 127.0.0.1 (default ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--config", description = "Start from this configuration file instead of the defaults.")
    Path config;

    @Option(names = "--duration", defaultValue = "0",
            description = "Stop after this many seconds (default: run until Ctrl-C).")
    long durationSeconds;

    @Override
    public Integer call() throws Exception {
        final FunnelConfig cfg = config != null ? FunnelConfig.load(config) : FunnelConfig.defaults();
        cfg.server.host = "127.0.0.1";
        cfg.server.port = port;
        cfg.data.path = data.toString();
        cfg.data.format = "generated";
        cfg.validate("demo options");
        final String wanted = String.format(Locale.ROOT, "\"items\": %d, \"users\": %d, \"events\": %d", items, users,
                events);
        final Path manifest = data.resolve("generator.json");
        if (!Files.exists(manifest) || !Files.readString(manifest).contains(wanted)) {
            Boot.log(String.format("generating the demo catalog: %d items, %d users, %d events into %s", items, users,
                    events, data));
            new SyntheticGenerator().items(items).users(users).events(events).write(data);
        }
        final Dataset dataset = Boot.loadData(cfg);
        final long knownUser = dataset.userId(dataset.size() - 1);
        final long someItem = dataset.itemId(dataset.item(dataset.size() / 2));
        return Boot.serve(cfg, dataset, durationSeconds, (server, state) -> {
            final String base = "http://127.0.0.1:" + server.port();
            final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            System.out.println();
            System.out.println("Funnel is serving " + state.itemCount() + " items at " + base + " — try:");
            show(http, base, "/v1/recommend", "{\"userId\": " + knownUser + ", \"count\": 5, \"explain\": true}",
                    "1. recommendations for a known user (explain shows per-stage scores and timings)");
            show(http, base, "/v1/events", "{\"events\": [{\"userId\": 424242, \"itemId\": " + someItem
                    + ", \"type\": \"click\"}]}", "2. feedback: a new user clicks an item");
            show(http, base, "/v1/recommend", "{\"userId\": 424242, \"count\": 5}",
                    "3. that user's next answer already follows the click (no longer a cold start)");
            System.out.println("Also: curl " + base + "/v1/stats   curl " + base + "/metrics   curl " + base
                    + "/health/ready");
            System.out.println(durationSeconds > 0
                    ? "Serving for " + durationSeconds + " s."
                    : "Serving until Ctrl-C.");
        });
    }

    private static void show(final HttpClient http, final String base, final String path, final String body,
            final String title) throws InterruptedException {
        System.out.println();
        System.out.println(title + ":");
        System.out.println("  curl -s -X POST " + base + path + " -H 'content-type: application/json' -d '" + body
                + "'");
        try {
            final HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(base + path))
                            .header("content-type", "application/json")
                            .timeout(Duration.ofSeconds(10))
                            .POST(HttpRequest.BodyPublishers.ofString(body))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            final String text = response.body();
            System.out.println("  -> " + response.statusCode() + " " + (text.length() > 900
                    ? text.substring(0, 900) + " …" : text));
        } catch (final IOException e) {
            System.out.println("  -> failed: " + e.getMessage());
        }
    }
}
