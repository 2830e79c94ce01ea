package io.funnel.loadtest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.funnel.loadtest.spi.DriverOptions;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * Reads a simulation from a YAML or JSON file (the format is in {@code loadtest/README.md}; examples in
 * {@code config/loadtest/}). Every error names the file and the field ({@code browse.yaml: scenarios[0].steps[1].pause:
 * expected a duration …}); unknown fields are errors, so a typo never silently changes a test.
 */
final class SimulationFile {
    private final Path file;

    private SimulationFile(final Path file) {
        this.file = file;
    }

    /**
     * Loads {@code file}.
     *
     * @param targetOverride a target given on the command line, or {@code null} to use the file's (or the default)
     * @param defaults driver settings the file's {@code driver} section starts from
     * @throws IllegalArgumentException naming the file and field for anything wrong in it
     */
    static LoadCommand.Plan load(final Path file, final URI targetOverride, final DriverOptions defaults) {
        final JsonNode root;
        try {
            final String name = file.getFileName().toString();
            final ObjectMapper mapper = name.endsWith(".json") ? new ObjectMapper() : new ObjectMapper(new YAMLFactory());
            root = mapper.readTree(Files.readString(file));
        } catch (final IOException e) {
            throw new IllegalArgumentException(file + ": cannot read the simulation: " + e.getMessage());
        }
        return new SimulationFile(file).plan(root, targetOverride, defaults);
    }

    private LoadCommand.Plan plan(final JsonNode root, final URI targetOverride, final DriverOptions defaults) {
        object(root, "(top level)", Set.of("name", "target", "warmup", "maxInFlight", "seed", "driver", "assertions",
                "scenarios"));
        final String name = root.path("name").asText(file.getFileName().toString().replaceAll("\\.[^.]+$", ""));
        final Simulation.Builder b = Simulation.builder(name);
        if (root.has("warmup")) {
            b.warmup(duration(root.get("warmup"), "warmup"));
        }
        if (root.has("maxInFlight")) {
            b.maxInFlight(integer(root.get("maxInFlight"), "maxInFlight", 1, 1_000_000));
        }
        if (root.has("seed")) {
            b.seed(root.get("seed").asLong());
        }
        final JsonNode scenarios = root.path("scenarios");
        if (!scenarios.isArray() || scenarios.isEmpty()) {
            throw error("scenarios", "must be a non-empty list");
        }
        for (int i = 0; i < scenarios.size(); i++) {
            b.population(population(scenarios.get(i), "scenarios[" + i + "]"));
        }
        final JsonNode assertions = root.path("assertions");
        for (int i = 0; i < assertions.size(); i++) {
            try {
                b.assertion(assertions.get(i).asText());
            } catch (final IllegalArgumentException e) {
                throw error("assertions[" + i + "]", e.getMessage());
            }
        }
        final URI target;
        try {
            target = targetOverride != null ? targetOverride
                    : URI.create(root.path("target").asText("http://127.0.0.1:8080"));
        } catch (final IllegalArgumentException e) {
            throw error("target", "not a URI: " + e.getMessage());
        }
        try {
            return new LoadCommand.Plan(b.build(), target, driver(root.path("driver"), defaults));
        } catch (final IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    private DriverOptions driver(final JsonNode node, final DriverOptions d) {
        if (node.isMissingNode()) {
            return d;
        }
        object(node, "driver", Set.of("protocol", "connections", "ioThreads", "timeout"));
        try {
            return new DriverOptions(
                    node.has("connections") ? integer(node.get("connections"), "driver.connections", 1, 10_000)
                            : d.connections(),
                    node.path("protocol").asText(d.protocol()),
                    node.has("ioThreads") ? integer(node.get("ioThreads"), "driver.ioThreads", 1, 64) : d.ioThreads(),
                    node.has("timeout") ? duration(node.get("timeout"), "driver.timeout").toMillis()
                            : d.requestTimeoutMs());
        } catch (final IllegalArgumentException e) {
            throw error("driver", e.getMessage());
        }
    }

    private Population population(final JsonNode node, final String at) {
        object(node, at, Set.of("name", "users", "steps", "injection", "closed"));
        Scenario scenario = Scenario.named(node.path("name").asText(at)).users(users(node.path("users"), at + ".users"));
        final JsonNode steps = node.path("steps");
        if (!steps.isArray() || steps.isEmpty()) {
            throw error(at + ".steps", "must be a non-empty list");
        }
        for (int i = 0; i < steps.size(); i++) {
            scenario = step(scenario, steps.get(i), at + ".steps[" + i + "]");
        }
        final boolean hasClosed = node.has("closed");
        if (hasClosed == node.has("injection")) {
            throw error(at, "needs exactly one of injection (open model) and closed (closed model)");
        }
        try {
            if (hasClosed) {
                final JsonNode c = node.get("closed");
                object(c, at + ".closed", Set.of("users", "duration"));
                return scenario.closed(integer(c.path("users"), at + ".closed.users", 1, 100_000),
                        duration(c.path("duration"), at + ".closed.duration"));
            }
            final JsonNode inj = node.get("injection");
            if (!inj.isArray() || inj.isEmpty()) {
                throw error(at + ".injection", "must be a non-empty list");
            }
            final List<Injection> profile = new ArrayList<>();
            for (int i = 0; i < inj.size(); i++) {
                profile.addAll(injection(inj.get(i), at + ".injection[" + i + "]"));
            }
            return scenario.inject(profile);
        } catch (final IllegalArgumentException e) {
            if (e.getMessage().startsWith(file.toString())) {
                throw e;
            }
            throw error(at, e.getMessage());
        }
    }

    private UserFeeder users(final JsonNode node, final String at) {
        if (node.isMissingNode()) {
            return UserFeeder.uniform(1, 50_000);
        }
        final String kind = single(node, at, Set.of("uniform", "zipf", "file"));
        final JsonNode v = node.get(kind);
        try {
            return switch (kind) {
                case "uniform" -> {
                    object(v, at + ".uniform", Set.of("from", "to"));
                    yield UserFeeder.uniform(v.path("from").asLong(1), v.path("to").asLong(50_000));
                }
                case "zipf" -> {
                    object(v, at + ".zipf", Set.of("n", "exponent"));
                    yield UserFeeder.zipf(integer(v.path("n"), at + ".zipf.n", 1, 20_000_000),
                            v.path("exponent").asDouble(1.0));
                }
                default -> {
                    final Path p = Path.of(v.asText());
                    if (!Files.isRegularFile(p)) {
                        throw error(at + ".file", "no such file: " + p.toAbsolutePath());
                    }
                    yield UserFeeder.fromInteractions(p);
                }
            };
        } catch (final IllegalArgumentException e) {
            if (e.getMessage().startsWith(file.toString())) {
                throw e;
            }
            throw error(at, e.getMessage());
        }
    }

    private Scenario step(final Scenario scenario, final JsonNode node, final String at) {
        final String kind = single(node, at, Set.of("recommend", "event", "ping", "pause"));
        final JsonNode v = node.get(kind);
        final String where = at + "." + kind;
        try {
            return switch (kind) {
                case "pause" -> {
                    if (v.isObject()) {
                        object(v, where, Set.of("min", "max"));
                        yield scenario.pause(duration(v.path("min"), where + ".min"),
                                duration(v.path("max"), where + ".max"));
                    }
                    yield scenario.pause(duration(v, where));
                }
                case "recommend" -> {
                    object(v, where, Set.of("count", "context", "checks", "name"));
                    ContextFeeder context = ContextFeeder.none();
                    if (v.has("context")) {
                        final JsonNode c = v.get("context");
                        object(c, where + ".context", Set.of("categories", "share"));
                        context = ContextFeeder.categories(integer(c.path("categories"), where + ".context.categories",
                                1, 1_000_000), c.path("share").asDouble(1.0));
                    }
                    yield scenario.exec(checks(named(RequestSpec.recommend(v.path("count").asInt(10), context), v),
                            v.path("checks"), where + ".checks"));
                }
                case "event" -> {
                    object(v, where, Set.of("type", "itemsFrom", "items", "checks", "name"));
                    yield scenario.exec(checks(named(RequestSpec.event(v.path("type").asText("view"),
                            v.path("itemsFrom").asLong(100_000), v.path("items").asInt(100_000)), v), v.path("checks"),
                            where + ".checks"));
                }
                default -> {
                    object(v.isNull() ? null : v, where, Set.of("checks", "name"));
                    yield scenario.exec(checks(named(RequestSpec.ping(), v), v.path("checks"), where + ".checks"));
                }
            };
        } catch (final IllegalArgumentException e) {
            if (e.getMessage().startsWith(file.toString())) {
                throw e;
            }
            throw error(where, e.getMessage());
        }
    }

    private static RequestSpec named(final RequestSpec spec, final JsonNode v) {
        return v != null && v.has("name") ? spec.named(v.get("name").asText()) : spec;
    }

    private RequestSpec checks(final RequestSpec spec, final JsonNode node, final String at) {
        if (node == null || node.isMissingNode()) {
            return spec;
        }
        object(node, at, Set.of("status", "minItems", "contains"));
        RequestSpec s = spec;
        if (node.has("status")) {
            s = s.check(Check.status(integer(node.get("status"), at + ".status", 100, 599)));
        }
        if (node.has("minItems")) {
            s = s.check(Check.minItems(integer(node.get("minItems"), at + ".minItems", 0, 500)));
        }
        if (node.has("contains")) {
            s = s.check(Check.contains(node.get("contains").asText()));
        }
        return s;
    }

    private List<Injection> injection(final JsonNode node, final String at) {
        final String kind = single(node, at, Set.of("constant", "ramp", "poisson", "steps", "nothing"));
        final JsonNode v = node.get(kind);
        final String where = at + "." + kind;
        return switch (kind) {
            case "constant" -> {
                object(v, where, Set.of("rate", "duration"));
                yield List.of(Injection.constantRate(number(v.path("rate"), where + ".rate"),
                        duration(v.path("duration"), where + ".duration")));
            }
            case "poisson" -> {
                object(v, where, Set.of("rate", "duration"));
                yield List.of(Injection.poisson(number(v.path("rate"), where + ".rate"),
                        duration(v.path("duration"), where + ".duration")));
            }
            case "ramp" -> {
                object(v, where, Set.of("from", "to", "duration"));
                yield List.of(Injection.ramp(number(v.path("from"), where + ".from"), number(v.path("to"), where + ".to"),
                        duration(v.path("duration"), where + ".duration")));
            }
            case "steps" -> {
                object(v, where, Set.of("start", "increment", "count", "each"));
                yield Injection.steps(number(v.path("start"), where + ".start"),
                        number(v.path("increment"), where + ".increment"), integer(v.path("count"), where + ".count", 1,
                                10_000), duration(v.path("each"), where + ".each"));
            }
            default -> List.of(Injection.nothingFor(duration(v, where)));
        };
    }

    /** The one key of a single-key object such as {@code {pause: 100ms}}. */
    private String single(final JsonNode node, final String at, final Set<String> kinds) {
        if (node == null || !node.isObject() || node.size() != 1) {
            throw error(at, "must be an object with exactly one of " + sorted(kinds));
        }
        final String kind = node.fieldNames().next();
        if (!kinds.contains(kind)) {
            throw error(at, "unknown '" + kind + "', expected one of " + sorted(kinds));
        }
        return kind;
    }

    private void object(final JsonNode node, final String at, final Set<String> allowed) {
        if (node == null || node.isMissingNode() || node.isNull()) {
            return;
        }
        if (!node.isObject()) {
            throw error(at, "must be an object with fields " + sorted(allowed));
        }
        for (final Iterator<String> it = node.fieldNames(); it.hasNext();) {
            final String f = it.next();
            if (!allowed.contains(f)) {
                throw error(at + "." + f, "unknown field; allowed: " + sorted(allowed));
            }
        }
    }

    private Duration duration(final JsonNode node, final String at) {
        if (node == null || node.isMissingNode() || !node.isTextual()) {
            throw error(at, "expected a duration with a unit (250us, 5ms, 10s, 2m)");
        }
        try {
            return DurationText.parse(node.asText(), at);
        } catch (final IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    private double number(final JsonNode node, final String at) {
        if (node == null || !node.isNumber()) {
            throw error(at, "expected a number");
        }
        return node.asDouble();
    }

    private int integer(final JsonNode node, final String at, final int min, final int max) {
        if (node == null || !node.canConvertToInt() || !node.isIntegralNumber() || node.asInt() < min
                || node.asInt() > max) {
            throw error(at, "expected an integer " + min + ".." + max + ", got " + (node == null ? "nothing" : node));
        }
        return node.asInt();
    }

    private IllegalArgumentException error(final String at, final String why) {
        return new IllegalArgumentException(file + ": " + at + ": " + why);
    }

    private static List<String> sorted(final Set<String> s) {
        return s.stream().sorted().toList();
    }
}
