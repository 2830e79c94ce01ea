package io.funnel.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code funnel load} end to end against a trivial server on 127.0.0.1: exit codes, report, find-max. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class LoadCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @RegisterExtension
    static final LocalServer server = LocalServer.create();
    private final StringWriter err = new StringWriter();

    private int load(final String... args) {
        final CommandLine cli = LoadCommand.commandLine();
        cli.setErr(new PrintWriter(err, true));
        final String[] all = new String[args.length + 4];
        all[0] = "--target";
        all[1] = server.uri().toString();
        all[2] = "--quiet";
        all[3] = "--no-stats";
        System.arraycopy(args, 0, all, 4, args.length);
        return cli.execute(all);
    }

    @Test
    void assertionsSetTheExitCodeAndTheReportIsWritten(@TempDir final Path dir) throws Exception {
        assertEquals(0, load("--request", "ping", "--rate", "200", "--duration", "1s", "--warmup", "500ms",
                "--assert", "p99<1s", "--assert", "errors<0.1%", "--assert", "throughput>150/s", "--report",
                dir.toString()));
        final JsonNode s = JSON.readTree(Files.readString(dir.resolve("summary.json")));
        assertEquals(200, s.get("requests").asLong(), 2);
        assertEquals(0, s.get("errors").asLong());
        assertEquals(3, s.get("assertions").size());
        assertTrue(s.get("passed").asBoolean());
        assertTrue(Files.size(dir.resolve("index.html")) > 50_000);

        assertEquals(1, load("--request", "ping", "--rate", "100", "--duration", "1s", "--warmup", "0s", "--assert",
                "p50<1us"), "an assertion that cannot hold fails the run");
    }

    @Test
    void badInputIsOneClearLineAndExitCodeTwo() {
        assertEquals(2, load("--request", "ping", "--assert", "p99<5"));
        assertTrue(err.toString().contains("bad assertion 'p99<5': a latency needs a unit"), err.toString());
        assertEquals(2, load("--request", "teleport"));
        assertTrue(err.toString().contains("--request must be recommend, event or ping"), err.toString());
        assertEquals(2, load("--duration", "ten"));
        assertTrue(err.toString().contains("--duration: expected a duration with a unit"), err.toString());
        assertEquals(2, load("--simulation", "no/such/file.yaml"));
        assertTrue(err.toString().contains("no/such/file.yaml: cannot read the simulation"), err.toString());
    }

    @Test
    void findMaxStepsUpAndReportsTheHighestRateThatHolds(@TempDir final Path dir) throws Exception {
        assertEquals(0, load("--request", "ping", "--find-max", "--rate", "100", "--step-factor", "2", "--max-rate",
                "400", "--step-duration", "1s", "--step-warmup", "200ms", "--refine", "0", "--slo", "p99<2s",
                "--report", dir.toString()));
        final JsonNode fm = JSON.readTree(Files.readString(dir.resolve("summary.json"))).get("find_max");
        assertEquals(400, fm.get("max_rate").asDouble());
        assertEquals(3, fm.get("steps").size());
        assertEquals("p99<2s", fm.get("slo").get(0).asText());
        assertEquals("errors<1%", fm.get("slo").get(1).asText(), "an error SLO is added by default");

        // An SLO nothing can meet: no rate holds, exit code 1.
        assertEquals(1, load("--request", "ping", "--find-max", "--rate", "100", "--max-rate", "100",
                "--step-duration", "1s", "--step-warmup", "200ms", "--slo", "p50<1us"));
    }
}
