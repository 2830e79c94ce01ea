package io.funnel.loadtest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code funnel bench loadgen}: how fast the harness can send from one core, against {@code wrk} in the same run.
 * A {@link TrivialServer} runs as its own JVM pinned to {@code --server-cpu}; then, in alternating order for
 * {@code --rounds} rounds, {@code wrk -t1 -cN} and the harness ({@code funnel load --closed N --request ping}, a
 * JVM of its own) run pinned to {@code --client-cpu} with {@code taskset}, so every thread of the client (the JVM's
 * JIT and GC threads included) shares one core. Both are closed loops over N keep-alive connections: the rate each
 * reaches is its maximum. Needs {@code taskset} (util-linux) and {@code wrk} on the PATH; only talks to 127.0.0.1.
 */
@Command(name = "loadgen", mixinStandardHelpOptions = true,
        description = "Maximum request rate of the load harness from one core against wrk -t1 in the same run, on a"
                + " trivial Vert.x endpoint on 127.0.0.1.")
public final class LoadgenBenchCommand implements Callable<Integer> {
    private static final Pattern WRK_RATE = Pattern.compile("Requests/sec:\\s+([0-9.]+)");
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    @Option(names = "--port", defaultValue = "18180", description = "Port of the trivial server (default ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--duration", defaultValue = "10", description = "Measured seconds per run (default ${DEFAULT-VALUE}).")
    int seconds;

    @Option(names = "--connections", defaultValue = "50", description = "Connections of both clients (default ${DEFAULT-VALUE}).")
    int connections;

    @Option(names = "--rounds", defaultValue = "3", description = "Runs of each client, alternating (default ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--server-cpu", defaultValue = "0", description = "CPU of the server (default ${DEFAULT-VALUE}).")
    int serverCpu;

    @Option(names = "--client-cpu", defaultValue = "1", description = "CPU of each client (default ${DEFAULT-VALUE}).")
    int clientCpu;

    @Option(names = "--json", description = "Write the results here.")
    Path json;

    /** What {@code --json} writes; rates in requests per second. */
    record Result(String date, String machine, int serverCpu, int clientCpu, int connections, int seconds,
            List<Double> wrkRps, List<Double> harnessRps, double bestRatio, double medianRatio) {}

    @Override
    public Integer call() throws Exception {
        if (rounds < 1 || seconds < 1 || connections < 1) {
            throw new IllegalArgumentException("--rounds, --duration and --connections must be positive");
        }
        require("taskset", "apt-get install util-linux");
        require("wrk", "apt-get install wrk");
        final String url = "http://127.0.0.1:" + port + "/health/live";
        final long serverSeconds = 30L + rounds * 2L * (seconds + 10L);
        final List<String> serverCmd = new ArrayList<>(List.of("taskset", "-c", String.valueOf(serverCpu)));
        serverCmd.addAll(java(TrivialServer.class.getName(), String.valueOf(port), String.valueOf(serverSeconds)));
        final Path serverLog = Files.createTempFile("funnel-loadgen-server", ".log");
        final Process server = new ProcessBuilder(serverCmd).redirectErrorStream(true)
                .redirectOutput(serverLog.toFile()).start();
        try {
            awaitStart(server, serverLog);
            System.out.printf(Locale.ROOT, "server: 127.0.0.1:%d on CPU %d; clients on CPU %d, %d connections, %d s"
                    + " per run%n", port, serverCpu, clientCpu, connections, seconds);
            wrk(url, 3); // warms the server's JIT before anything is measured
            final List<Double> wrkRates = new ArrayList<>();
            final List<Double> harnessRates = new ArrayList<>();
            for (int r = 0; r < rounds; r++) {
                // Alternate who goes first so that a drift in the machine's load hits both alike.
                if (r % 2 == 0) {
                    wrkRates.add(wrk(url, seconds));
                    harnessRates.add(harness());
                } else {
                    harnessRates.add(harness());
                    wrkRates.add(wrk(url, seconds));
                }
                System.out.printf(Locale.ROOT, "round %d: wrk %.0f req/s, harness %.0f req/s%n", r + 1,
                        wrkRates.get(r), harnessRates.get(r));
            }
            final double bestWrk = wrkRates.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
            final double bestHarness = harnessRates.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
            final double medianRatio = median(harnessRates) / median(wrkRates);
            System.out.printf(Locale.ROOT, "best: wrk %.0f req/s, harness %.0f req/s, ratio %.2f (median ratio %.2f)%n",
                    bestWrk, bestHarness, bestHarness / bestWrk, medianRatio);
            if (json != null) {
                final Result out = new Result(Instant.now().toString(), Runtime.getRuntime().availableProcessors()
                        + " CPUs, " + System.getProperty("os.name") + " " + System.getProperty("os.arch"), serverCpu,
                        clientCpu, connections, seconds, wrkRates, harnessRates, bestHarness / bestWrk, medianRatio);
                if (json.getParent() != null) {
                    Files.createDirectories(json.getParent());
                }
                Files.writeString(json, JSON.writeValueAsString(out) + "\n");
            }
            return 0;
        } finally {
            server.destroy();
            server.waitFor(10, TimeUnit.SECONDS);
            Files.deleteIfExists(serverLog);
        }
    }

    private double wrk(final String url, final int runSeconds) throws IOException, InterruptedException {
        final String out = run(List.of("taskset", "-c", String.valueOf(clientCpu), "wrk", "-t1",
                "-c" + connections, "-d" + runSeconds + "s", url));
        final Matcher m = WRK_RATE.matcher(out);
        if (!m.find()) {
            throw new IOException("wrk printed no rate:\n" + out);
        }
        return Double.parseDouble(m.group(1));
    }

    private double harness() throws IOException, InterruptedException {
        final Path report = Files.createTempDirectory("funnel-loadgen");
        try {
            final List<String> cmd = new ArrayList<>(List.of("taskset", "-c", String.valueOf(clientCpu)));
            cmd.addAll(java(LoadCommand.class.getName(), "--target", "http://127.0.0.1:" + port, "--request", "ping",
                    "--closed", String.valueOf(connections), "--connections", String.valueOf(connections),
                    "--duration", seconds + "s", "--warmup", "3s", "--quiet", "--no-stats", "--report",
                    report.toString()));
            final String out = run(cmd);
            final Path summary = report.resolve("summary.json");
            if (!Files.exists(summary)) {
                throw new IOException("the harness wrote no summary:\n" + out);
            }
            final JsonNode s = JSON.readTree(Files.readString(summary));
            if (s.get("errors").asLong() > 0) {
                throw new IOException("the harness saw errors: " + s.get("errors_by_kind"));
            }
            return s.get("throughput_rps").asDouble();
        } finally {
            try (var files = Files.list(report)) {
                for (final Path f : files.toList()) {
                    Files.deleteIfExists(f);
                }
            }
            Files.deleteIfExists(report);
        }
    }

    /** A command line that starts this JVM's java with its flags and class path on {@code mainClass}. */
    private static List<String> java(final String mainClass, final String... args) {
        final List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        for (final String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!a.startsWith("-agentlib") && !a.startsWith("-javaagent")) {
                cmd.add(a);
            }
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(mainClass);
        cmd.addAll(Arrays.asList(args));
        return cmd;
    }

    private static String run(final List<String> cmd) throws IOException, InterruptedException {
        final Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        return out;
    }

    private static void awaitStart(final Process p, final Path log) throws IOException, InterruptedException {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline && p.isAlive()) {
            if (Files.readString(log).contains("trivial server on")) {
                return;
            }
            Thread.sleep(100);
        }
        throw new IOException("the trivial server did not start (port in use?):\n" + Files.readString(log));
    }

    private static void require(final String tool, final String install) throws IOException, InterruptedException {
        final Process p = new ProcessBuilder("sh", "-c", "command -v " + tool).start();
        if (p.waitFor() != 0) {
            throw new IllegalArgumentException(tool + " is not on the PATH (" + install + ")");
        }
    }

    private static double median(final List<Double> values) {
        final double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }
}
