package io.funnel.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A /v1/stats answer with {@code n} requests of mean {@code mean} µs. */
    static JsonNode stats(final long n, final double mean, final long misses) throws Exception {
        return JSON.readTree("""
                {"requests": %d, "rejected": 0, "modelVersion": "logistic-1",
                 "latencyMicros": {"count": %d, "p50": 300, "p90": 500, "p99": 900, "p999": 2000, "max": 5000, "mean": %f},
                 "stages": {"retrieve": {"count": %d, "p50": 150, "p90": 300, "p99": 450, "p999": 900, "max": 2000, "mean": %f}},
                 "budgetMisses": {"retrieve": %d},
                 "channels": {"ann": {"count": %d, "p50": 120, "p90": 200, "p99": 350, "p999": 700, "max": 1500, "mean": 130}},
                 "reRankSteps": {}, "degraded": {"retrieve.ann": %d}, "errors": {}}
                """.formatted(n, n, mean, n, mean / 2, misses, n, misses));
    }

    @Test
    void serverBreakdownIsTheDifferenceOfTwoScrapes() throws Exception {
        // 1000 requests at mean 100 µs before, then 1000 more at mean 300 µs: the run's mean is 300.
        final Map<String, Object> b = ServerStats.breakdown(stats(1000, 100, 2), stats(2000, 200, 5));
        assertEquals(1000L, b.get("requests"));
        @SuppressWarnings("unchecked")
        final List<ServerStats.Row> rows = (List<ServerStats.Row>) b.get("rows");
        assertEquals("total", rows.get(0).name());
        assertEquals(1000, rows.get(0).count());
        assertEquals(300, rows.get(0).meanUs(), 1e-6);
        final ServerStats.Row retrieve = rows.get(1);
        assertEquals("retrieve", retrieve.name());
        assertEquals(150, retrieve.meanUs(), 1e-6);
        assertEquals(3, retrieve.budgetMisses());
        assertEquals("channel", rows.get(2).group());
        assertEquals(Map.of("retrieve.ann", 3L), b.get("degraded"));
        assertEquals(null, ServerStats.breakdown(null, stats(1, 1, 0)));
    }

    @Test
    void writesSummaryJsonAndASelfContainedPage(@TempDir final Path dir) throws Exception {
        final RunResult run = AssertionTest.run();
        final List<Assertion.Result> verdicts = List.of(Assertion.parse("p99<5ms").evaluate(run),
                Assertion.parse("errors<1%").evaluate(run));
        Report.write(dir, run, verdicts, new Report.Extras("http://127.0.0.1:1",
                ServerStats.breakdown(stats(0, 0, 0), stats(1005, 400, 1)), null, null));

        final JsonNode s = JSON.readTree(Files.readString(dir.resolve("summary.json")));
        for (final String field : List.of("requests", "errors", "throughput_rps", "p50_ms", "p90_ms", "p99_ms",
                "p999_ms", "max_ms", "assertions")) {
            assertTrue(s.has(field), "summary.json has " + field);
        }
        assertEquals(1005, s.get("requests").asLong());
        assertEquals(5, s.get("errors").asLong());
        assertEquals(100.0, s.get("throughput_rps").asDouble(), 1e-9);
        assertEquals(500, s.get("p50_ms").asDouble(), 1);
        assertEquals(990, s.get("p99_ms").asDouble(), 1);
        assertEquals(1000, s.get("max_ms").asDouble(), 1);
        assertEquals(5, s.get("errors_by_kind").get("timeout").asLong());
        assertFalse(s.get("assertions").get(0).get("passed").asBoolean());
        assertTrue(s.get("assertions").get(1).get("passed").asBoolean());
        assertFalse(s.get("passed").asBoolean());
        assertEquals(1005, s.get("server").get("requests").asLong());

        final String html = Files.readString(dir.resolve("index.html"));
        // Self-contained: uPlot inlined, nothing fetched from anywhere.
        assertTrue(html.contains("uPlot"), "uPlot is inlined");
        assertTrue(html.length() > 50_000, "the library is in the page, " + html.length() + " chars");
        assertFalse(Pattern.compile("<script[^>]+src=", Pattern.CASE_INSENSITIVE).matcher(html).find());
        assertFalse(Pattern.compile("<link[^>]+href=", Pattern.CASE_INSENSITIVE).matcher(html).find());
        assertFalse(html.contains("/*DATA*/") || html.contains("/*UPLOT_JS*/") || html.contains("/*UPLOT_CSS*/"));
        // The data block parses back and carries the distribution and the time series.
        final String data = html.substring(html.indexOf("type=\"application/json\">") + 24,
                html.indexOf("</script>", html.indexOf("type=\"application/json\">")));
        final JsonNode d = JSON.readTree(data);
        assertNotNull(d.get("distribution").get("series").get("recommend"));
        assertEquals(d.get("distribution").get("x").size(), d.get("distribution").get("series").get("recommend").size());
        assertTrue(d.has("timeseries"));
    }

    @Test
    void dataCannotCloseTheScriptElement() {
        final String html = Report.html("{\"simulation\": \"</script><script>alert(1)</script>\"}");
        assertFalse(html.contains("</script><script>alert(1)"));
    }
}
