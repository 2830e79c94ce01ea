package io.funnel.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.funnel.loadtest.spi.DriverOptions;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SimulationFileTest {
    /** The repository's config/loadtest, seen from the module folder the tests run in. */
    private static final Path BUNDLED = Path.of("..", "config", "loadtest");

    private static LoadCommand.Plan load(final Path file) {
        return SimulationFile.load(file, null, DriverOptions.defaults());
    }

    @Test
    void everyBundledSimulationLoads() throws Exception {
        final List<Path> files;
        try (Stream<Path> s = Files.list(BUNDLED)) {
            files = s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
        }
        assertTrue(files.size() >= 4, "bundled simulations: " + files);
        for (final Path f : files) {
            final String text = Files.readString(f);
            if (text.contains("file: data/demo/interactions.csv") && !Files.exists(Path.of("data/demo/interactions.csv"))) {
                // The log exists once ./funnel demo has run from the repository root; here it must say so clearly.
                final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> load(f));
                assertTrue(e.getMessage().contains("scenarios[0].users.file: no such file"), e.getMessage());
                continue;
            }
            final LoadCommand.Plan plan = load(f);
            assertEquals(URI.create("http://127.0.0.1:8080"), plan.target(), f.toString());
            assertTrue(plan.simulation().durationNanos() > plan.simulation().warmup().toNanos(), f.toString());
        }
    }

    @Test
    void theAcceptanceSimulationIsWhatItSays() {
        final LoadCommand.Plan plan = load(BUNDLED.resolve("demo-recommend.yaml"));
        final Simulation s = plan.simulation();
        assertEquals("demo-recommend", s.name());
        assertEquals(Duration.ofSeconds(10), s.warmup());
        assertEquals(70_000_000_000L, s.durationNanos());
        assertEquals(List.of("p99<5ms", "errors<0.1%", "throughput>900/s"),
                s.assertions().stream().map(Assertion::expression).toList());
        final Population p = s.populations().get(0);
        assertEquals(2, p.profile().size());
        assertEquals(new Injection.Ramp(0, 1000, Duration.ofSeconds(10)), p.profile().get(0));
        final Scenario.Exec exec = (Scenario.Exec) p.scenario().steps().get(0);
        assertEquals("recommend", exec.request().name());
        assertEquals(2, exec.request().checks().size());
        assertEquals(32, plan.driver().connections());
        final LoadCommand.Plan overridden = SimulationFile.load(BUNDLED.resolve("demo-recommend.yaml"),
                URI.create("http://127.0.0.1:18150"), DriverOptions.defaults());
        assertEquals(18150, overridden.target().getPort());
    }

    @Test
    void mistakesNameTheFileAndTheField(@TempDir final Path dir) throws Exception {
        assertError(dir, "scenarios: []", "sim.yaml: scenarios: must be a non-empty list");
        assertError(dir, """
                scenarios:
                  - steps: [{recommend: {count: 10}}, {pause: 10parsecs}]
                    injection: [{constant: {rate: 10, duration: 1s}}]
                """, "sim.yaml: scenarios[0].steps[1].pause: expected a duration with a unit");
        assertError(dir, """
                scenarios:
                  - steps: [{recommend: {cuont: 10}}]
                    injection: [{constant: {rate: 10, duration: 1s}}]
                """, "sim.yaml: scenarios[0].steps[0].recommend.cuont: unknown field");
        assertError(dir, """
                scenarios:
                  - steps: [{recommend: {count: 10}}]
                    injection: [{constant: {rate: ten, duration: 1s}}]
                """, "sim.yaml: scenarios[0].injection[0].constant.rate: expected a number");
        assertError(dir, """
                assertions: ["p99 < 5"]
                scenarios:
                  - steps: [{ping: {}}]
                    injection: [{constant: {rate: 10, duration: 1s}}]
                """, "sim.yaml: assertions[0]: bad assertion 'p99 < 5': a latency needs a unit");
        assertError(dir, """
                scenarios:
                  - steps: [{ping: {}}]
                """, "sim.yaml: scenarios[0]: needs exactly one of injection (open model) and closed");
        assertError(dir, """
                scenarios:
                  - steps: [{jump: {}}]
                    closed: {users: 2, duration: 1s}
                """, "sim.yaml: scenarios[0].steps[0]: unknown 'jump'");
        assertError(dir, """
                scenarios:
                  - steps: [{recommend: {count: 900}}]
                    closed: {users: 2, duration: 1s}
                """, "sim.yaml: scenarios[0].steps[0].recommend: recommend count must be 1..500, got 900");
        assertError(dir, "scenarios: [", "sim.yaml: cannot read the simulation");
    }

    @Test
    void jsonWorksToo(@TempDir final Path dir) throws Exception {
        final Path f = dir.resolve("sim.json");
        Files.writeString(f, """
                {"name": "j", "scenarios": [{"steps": [{"ping": null}], "closed": {"users": 3, "duration": "2s"}}]}
                """);
        final Simulation s = load(f).simulation();
        assertEquals("j", s.name());
        assertTrue(s.populations().get(0).isClosed());
        assertEquals(3, s.populations().get(0).closedUsers());
    }

    private static void assertError(final Path dir, final String yaml, final String expected) throws Exception {
        final Path f = dir.resolve("sim.yaml");
        Files.writeString(f, yaml);
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> load(f));
        assertTrue(e.getMessage().contains(expected), "expected '" + expected + "' in: " + e.getMessage());
    }
}
