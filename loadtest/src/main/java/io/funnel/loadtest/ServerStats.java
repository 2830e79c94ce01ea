package io.funnel.loadtest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Funnel's own view of a run: {@code GET /v1/stats} scraped before and after, turned into a per-stage breakdown.
 * Counts, budget misses, degradations and means are exact for the run (differences of the two scrapes; a mean is
 * recovered from count × mean); percentiles are the server's cumulative figures after the run, which include what
 * it served before (a freshly started server's warm-up). Blocking; call off the I/O threads.
 */
public final class ServerStats {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ServerStats() {}

    /**
     * This machine's 1-minute load average (from {@code /proc/loadavg}), or -1 where it cannot be read: reports
     * carry it because client and server often share a machine, and a loaded one explains a tail.
     */
    public static double loadAverage() {
        try {
            return Double.parseDouble(java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg"))
                    .split(" ")[0]);
        } catch (final java.io.IOException | RuntimeException e) {
            return -1;
        }
    }

    /** One row of the breakdown: a stage, a retrieval channel, a re-rank step, or the whole request (µs). */
    public record Row(String group, String name, long count, double meanUs, double p50Us, double p99Us,
            double p999Us, double maxUs, long budgetMisses) {}

    /**
     * Scrapes {@code target}'s {@code /v1/stats}; {@code null} when the target does not answer it (not Funnel, not
     * HTTP, or down), which leaves the breakdown out of the report rather than failing the run.
     */
    public static JsonNode scrape(final URI target) {
        if (target.getScheme() == null || !target.getScheme().startsWith("http")) {
            return null;
        }
        try {
            final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
            final String base = target.toString().replaceAll("/+$", "");
            final HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/stats"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
        } catch (final Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            return null;
        }
    }

    /**
     * The breakdown between two scrapes, as a JSON-ready map: {@code requests}, {@code rejected}, {@code rows}
     * (list of {@link Row}), {@code degraded} and {@code errors} (counts during the run by key); {@code null} when
     * either scrape is missing.
     */
    public static Map<String, Object> breakdown(final JsonNode before, final JsonNode after) {
        if (before == null || after == null) {
            return null;
        }
        final Map<String, Object> out = new LinkedHashMap<>();
        out.put("requests", after.path("requests").asLong() - before.path("requests").asLong());
        out.put("rejected", after.path("rejected").asLong() - before.path("rejected").asLong());
        out.put("modelVersion", after.path("modelVersion").asText(""));
        final List<Row> rows = new ArrayList<>();
        rows.add(row("request", "total", before.path("latencyMicros"), after.path("latencyMicros"), 0));
        addGroup(rows, "stage", before.path("stages"), after.path("stages"), before.path("budgetMisses"),
                after.path("budgetMisses"));
        addGroup(rows, "channel", before.path("channels"), after.path("channels"), null, null);
        addGroup(rows, "rerank_step", before.path("reRankSteps"), after.path("reRankSteps"), null, null);
        out.put("rows", rows);
        out.put("degraded", deltas(before.path("degraded"), after.path("degraded")));
        out.put("errors", deltas(before.path("errors"), after.path("errors")));
        return out;
    }

    private static void addGroup(final List<Row> rows, final String group, final JsonNode before, final JsonNode after,
            final JsonNode missesBefore, final JsonNode missesAfter) {
        for (final Iterator<String> names = after.fieldNames(); names.hasNext();) {
            final String name = names.next();
            final long misses = missesAfter == null ? 0
                    : missesAfter.path(name).asLong() - missesBefore.path(name).asLong();
            rows.add(row(group, name, before.path(name), after.path(name), misses));
        }
    }

    private static Row row(final String group, final String name, final JsonNode before, final JsonNode after,
            final long misses) {
        final long countBefore = before.path("count").asLong();
        final long count = after.path("count").asLong() - countBefore;
        final double mean = count <= 0 ? 0
                : (after.path("mean").asDouble() * after.path("count").asLong()
                        - before.path("mean").asDouble() * countBefore) / count;
        return new Row(group, name, count, mean, after.path("p50").asDouble(), after.path("p99").asDouble(),
                after.path("p999").asDouble(), after.path("max").asDouble(), misses);
    }

    private static Map<String, Long> deltas(final JsonNode before, final JsonNode after) {
        final Map<String, Long> out = new LinkedHashMap<>();
        for (final Iterator<String> names = after.fieldNames(); names.hasNext();) {
            final String name = names.next();
            final long d = after.path(name).asLong() - before.path(name).asLong();
            if (d != 0) {
                out.put(name, d);
            }
        }
        return out;
    }
}
