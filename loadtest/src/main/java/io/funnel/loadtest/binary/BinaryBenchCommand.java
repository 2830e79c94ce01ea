package io.funnel.loadtest.binary;

import io.funnel.codecs.JsonCodec;
import io.funnel.codecs.RecommendRequest;
import io.funnel.codecs.RecommendResponse;
import io.funnel.codecs.binary.BinaryCodec;
import io.funnel.codecs.client.FunnelClient;
import io.funnel.loadtest.LoadOptions;
import io.funnel.loadtest.OpenModel;
import io.funnel.loadtest.OpenModel.Result;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.agrona.ExpandableArrayBuffer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code funnel bench binary}: the same open-model rate of the same {@code /v1/recommend} requests (same user
 * sequence, same count) over HTTP/JSON and over the binary endpoint (SBE frames over TCP, {@link FunnelClient}),
 * against one running server on this machine, alternating the two protocols for {@code --rounds} rounds. Reports
 * client-side p50/p99 per protocol (measured from each request's intended send time: no coordinated omission) and the
 * server process's CPU time per request over each measured window, read from {@code /proc/<pid>/stat}
 * ({@code utime + stime}, in clock ticks of {@code AT_CLKTCK} from {@code /proc/self/auxv}), less the server's idle
 * CPU (its background threads, measured for {@code --idle} seconds with no load first) over the same window.
 *
 * <p>Bounded: each protocol run lasts {@code --warmup + --duration} seconds; it only talks to 127.0.0.1.
 */
@Command(name = "binary", mixinStandardHelpOptions = true,
        description = "Open-model latency and server CPU per request of the same recommend requests over HTTP/JSON"
                + " and over the binary endpoint, against one running server, in the same run.")
public final class BinaryBenchCommand implements Callable<Integer> {
    @Mixin
    LoadOptions load;

    @Option(names = "--binary-port", defaultValue = "8082", description = "The server's binary port"
            + " (server.binaryPort, default ${DEFAULT-VALUE}).")
    int binaryPort;

    @Option(names = "--server-pid", description = "The server's process id, for its CPU time (default: the process"
            + " listening on the HTTP port, found through /proc/net/tcp).")
    Long serverPid;

    @Option(names = "--duration", defaultValue = "20", description = "Measured seconds per protocol run (default "
            + "${DEFAULT-VALUE}).")
    int durationSeconds;

    @Option(names = "--rounds", defaultValue = "2", description = "HTTP-then-binary rounds (default ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--binary-connections", defaultValue = "2", description = "Binary connections, requests pipelined"
            + " on each (default ${DEFAULT-VALUE}).")
    int binaryConnections;

    @Option(names = "--idle", defaultValue = "5", description = "Seconds of server CPU measured with no load first,"
            + " subtracted pro rata from each run's CPU (default ${DEFAULT-VALUE}; 0 = none).")
    int idleSeconds;

    @Option(names = "--codec-seconds", defaultValue = "2", description = "Seconds per codec in the in-process codec"
            + " comparison, after as long again of warm-up (default ${DEFAULT-VALUE}; 0 = skip).")
    int codecSeconds;

    @Option(names = "--json", description = "Write the results here.")
    Path json;

    /**
     * One protocol run: client latency, and server and client CPU over its measured window; the server's CPU per
     * request has the idle CPU of the same window subtracted.
     */
    record Run(String protocol, int round, Result latency, double serverCpuSeconds, double serverIdleCpuSeconds,
            double clientCpuSeconds) {
        double serverCpuMicrosPerRequest() {
            return latency.requests() == 0 ? Double.NaN
                    : (serverCpuSeconds - serverIdleCpuSeconds) * 1e6 / latency.requests();
        }

        double clientCpuMicrosPerRequest() {
            return latency.requests() == 0 ? Double.NaN : clientCpuSeconds * 1e6 / latency.requests();
        }

        String json() {
            return String.format(Locale.ROOT, "{\"protocol\": \"%s\", \"round\": %d, \"latency\": %s,"
                    + " \"server_cpu_s\": %.3f, \"server_idle_cpu_s\": %.3f, \"server_cpu_us_per_request\": %.1f,"
                    + " \"client_cpu_s\": %.3f, \"client_cpu_us_per_request\": %.1f}", protocol, round,
                    latency.json(), serverCpuSeconds, serverIdleCpuSeconds, serverCpuMicrosPerRequest(),
                    clientCpuSeconds, clientCpuMicrosPerRequest());
        }
    }

    @Override
    public Integer call() throws Exception {
        load.validate();
        if (durationSeconds < 1 || load.warmupSeconds < 0 || durationSeconds + load.warmupSeconds > 60) {
            throw new IllegalArgumentException("--warmup + --duration must be 1..60 s per run, got "
                    + load.warmupSeconds + " + " + durationSeconds);
        }
        if (rounds < 1 || rounds > 5) {
            throw new IllegalArgumentException("--rounds must be 1..5, got " + rounds);
        }
        final CodecCost[] codecs = codecSeconds > 0
                ? new CodecCost[] {CodecCost.json(load.count, codecSeconds), CodecCost.binary(load.count, codecSeconds)}
                : new CodecCost[0];
        for (final CodecCost c : codecs) {
            System.out.println(c);
        }
        final long pid = serverPid != null ? serverPid : listeningPid(load.port());
        final ProcCpu serverCpu = new ProcCpu(pid);
        System.out.printf(Locale.ROOT, "server pid %d (CPU from /proc/%d/stat, %d ticks/s), %d req/s, %d+%d s per"
                + " run, %d rounds%n", pid, pid, serverCpu.ticksPerSecond, load.rate, load.warmupSeconds,
                durationSeconds, rounds);
        double idlePerSecond = 0;
        if (idleSeconds > 0) {
            final double before = serverCpu.seconds();
            Thread.sleep(idleSeconds * 1_000L);
            idlePerSecond = (serverCpu.seconds() - before) / idleSeconds;
            System.out.printf(Locale.ROOT, "server idle CPU: %.3f s per second (subtracted from each run)%n",
                    idlePerSecond);
        }
        final Vertx vertx = Vertx.vertx();
        final List<Run> runs = new ArrayList<>();
        try {
            final HttpClient http = load.httpClient(vertx);
            final io.vertx.core.Context context = vertx.getOrCreateContext();
            try (FunnelClient binary = FunnelClient.builder().host(load.target.getHost()).port(binaryPort)
                    .connections(binaryConnections).timeout(Duration.ofSeconds(10)).vertx(vertx).connect()
                    .get(10, TimeUnit.SECONDS)) {
                for (int round = 1; round <= rounds; round++) {
                    runs.add(measure("http", round, serverCpu, idlePerSecond, load.httpSender(context, http, true)));
                    runs.add(measure("binary", round, serverCpu, idlePerSecond, binarySender(binary)));
                }
            }
        } finally {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
        final StringBuilder summary = new StringBuilder();
        for (int round = 1; round <= rounds; round++) {
            final Run h = runs.get(2 * (round - 1));
            final Run b = runs.get(2 * (round - 1) + 1);
            final double p99 = b.latency.p99() / h.latency.p99();
            final double cpu = b.serverCpuMicrosPerRequest() / h.serverCpuMicrosPerRequest();
            final String line = String.format(Locale.ROOT, "round %d binary/http: p50 %.2f, p99 %.2f (%.0f%% %s),"
                    + " server CPU per request %.2f (%.2fx %s), client CPU per request %.2f", round,
                    b.latency.p50() / h.latency.p50(), p99, 100 * Math.abs(1 - p99), p99 <= 1 ? "lower" : "higher",
                    cpu, cpu <= 1 ? 1 / cpu : cpu, cpu <= 1 ? "less" : "more",
                    b.clientCpuMicrosPerRequest() / h.clientCpuMicrosPerRequest());
            System.out.println(line);
            summary.append(round > 1 ? ",\n    " : "").append('"').append(line).append('"');
        }
        if (json != null) {
            final StringBuilder b = new StringBuilder();
            b.append(String.format(Locale.ROOT, "{\"target\": \"%s\", \"binary_port\": %d, \"server_pid\": %d,"
                    + " \"rate\": %d, \"warmup_s\": %d, \"duration_s\": %d, \"users\": %d, \"count\": %d,"
                    + " \"http_connections\": %d, \"binary_connections\": %d, \"cpu_source\": \"/proc/<pid>/stat"
                    + " utime+stime\", \"server_idle_cpu_s_per_s\": %.4f,%n  \"runs\": [", load.target, binaryPort,
                    pid, load.rate, load.warmupSeconds, durationSeconds, load.users, load.count, load.connections,
                    binaryConnections, idlePerSecond));
            for (int i = 0; i < runs.size(); i++) {
                b.append(i == 0 ? "\n    " : ",\n    ").append(runs.get(i).json());
            }
            b.append("\n  ],\n  \"codec_only\": [");
            for (int i = 0; i < codecs.length; i++) {
                b.append(i == 0 ? "\n    " : ",\n    ").append(codecs[i].json());
            }
            b.append("\n  ],\n  \"summary\": [").append(summary).append("]\n}\n");
            if (json.getParent() != null) {
                Files.createDirectories(json.getParent());
            }
            Files.writeString(json, b.toString());
        }
        long errors = 0;
        for (final Run r : runs) {
            errors += r.latency.errors();
        }
        return errors == 0 ? 0 : 1;
    }

    private Run measure(final String protocol, final int round, final ProcCpu serverCpu, final double idlePerSecond,
            final OpenModel.Sender sender) throws Exception {
        final double[] start = new double[3];
        final Result latency = OpenModel.run(protocol, load.rate, load.warmupSeconds, durationSeconds, sender, () -> {
            start[0] = serverCpu.seconds();
            start[1] = clientCpuSeconds();
            start[2] = System.nanoTime();
        });
        final double windowSeconds = (System.nanoTime() - start[2]) / 1e9;
        final Run run = new Run(protocol, round, latency, serverCpu.seconds() - start[0],
                idlePerSecond * windowSeconds, clientCpuSeconds() - start[1]);
        latency.print();
        System.out.printf(Locale.ROOT, "%-12s server CPU %.2f s = %.1f us/request, client CPU %.1f us/request%n",
                "", run.serverCpuSeconds, run.serverCpuMicrosPerRequest(), run.clientCpuMicrosPerRequest());
        return run;
    }

    /**
     * The codec work of one request on one thread, in process, with no network and no pipeline: decode the request
     * and encode a {@code count}-item answer, as each server path does (JSON: {@link JsonCodec} into a fresh byte
     * array; binary: {@link BinaryCodec} flyweights into a reused buffer, then one copy out).
     */
    record CodecCost(String protocol, long operations, double nanosPerRequest, double bytesAllocatedPerRequest,
            int requestBytes, int responseBytes) {
        static CodecCost json(final int count, final int seconds) {
            final byte[] body = "{\"userId\": 4242, \"count\": 10}".replace("10", Integer.toString(count))
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8);
            final RecommendRequest request = new RecommendRequest();
            final RecommendResponse response = sampleResponse(count);
            final int[] sizes = new int[1];
            final Runnable op = () -> {
                JsonCodec.decodeRecommend(body, request);
                final java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(512);
                JsonCodec.encodeResponse(response, out);
                sizes[0] = out.toByteArray().length;
            };
            return time("http/json", op, seconds, body.length, sizes);
        }

        static CodecCost binary(final int count, final int seconds) {
            final BinaryCodec codec = new BinaryCodec();
            final ExpandableArrayBuffer in = new ExpandableArrayBuffer(256);
            final int requestLength = codec.encodeRecommend(1, new RecommendRequest().userId(4242).count(count), in, 0);
            final ExpandableArrayBuffer out = new ExpandableArrayBuffer(4096);
            final RecommendRequest request = new RecommendRequest();
            final RecommendResponse response = sampleResponse(count);
            final int[] sizes = new int[1];
            final Runnable op = () -> {
                codec.wrapFrame(in, 4, requestLength - 4);
                codec.decodeRecommend(request);
                final int n = codec.encodeResponse(codec.correlationId(), response, out, 0);
                sizes[0] = io.vertx.core.buffer.Buffer.buffer(n).appendBytes(out.byteArray(), 0, n).length();
            };
            return time("binary", op, seconds, requestLength, sizes);
        }

        private static RecommendResponse sampleResponse(final int count) {
            final RecommendResponse r = new RecommendResponse().userId(4242).tookMicros(330)
                    .modelVersion("logistic-20261123T121154").policy("diverse")
                    .channelNames(new String[] {"popular", "itemcf", "ann"});
            for (int i = 0; i < count; i++) {
                r.addItem(100_000L + i * 7919L, 0.3f - i * 0.01f, 1 + i % 7, 0.2f, 0.25f, false);
            }
            return r;
        }

        private static CodecCost time(final String protocol, final Runnable op, final int seconds,
                final int requestBytes, final int[] responseBytes) {
            final long warmUntil = System.nanoTime() + seconds * 1_000_000_000L;
            while (System.nanoTime() < warmUntil) {
                op.run();
            }
            final com.sun.management.ThreadMXBean threads =
                    (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            final long allocatedBefore = threads.getCurrentThreadAllocatedBytes();
            final long start = System.nanoTime();
            final long end = start + seconds * 1_000_000_000L;
            long ops = 0;
            while ((ops & 1023) != 0 || System.nanoTime() < end) {
                op.run();
                ops++;
            }
            final double nanos = (System.nanoTime() - start) / (double) ops;
            final double allocated = (threads.getCurrentThreadAllocatedBytes() - allocatedBefore) / (double) ops;
            return new CodecCost(protocol, ops, nanos, allocated, requestBytes, responseBytes[0]);
        }

        String json() {
            return String.format(Locale.ROOT, "{\"protocol\": \"%s\", \"operations\": %d, \"ns_per_request\":"
                    + " %.0f, \"bytes_allocated_per_request\": %.0f, \"request_bytes\": %d, \"response_bytes\":"
                    + " %d}", protocol, operations, nanosPerRequest, bytesAllocatedPerRequest, requestBytes,
                    responseBytes);
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "codec only, %-9s %7.0f ns/request, %5.0f B allocated/request,"
                    + " request %d B, answer %d B", protocol, nanosPerRequest, bytesAllocatedPerRequest, requestBytes,
                    responseBytes);
        }
    }

    /** Same user sequence (seed 42) and count as the HTTP sender; one request object reused by the pacing thread. */
    private OpenModel.Sender binarySender(final FunnelClient client) {
        final SplittableRandom random = new SplittableRandom(42);
        final RecommendRequest request = new RecommendRequest();
        return done -> client.recommend(request.clear().userId(1 + random.nextInt(load.users)).count(load.count))
                .whenComplete((r, e) -> done.complete(e == null));
    }

    private static double clientCpuSeconds() {
        final var os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
            return sun.getProcessCpuTime() / 1e9;
        }
        return Double.NaN;
    }

    /** The process listening on {@code port} on IPv4 or IPv6 loopback, found through /proc/net/tcp* socket inodes. */
    static long listeningPid(final int port) throws IOException {
        final String hexPort = String.format(Locale.ROOT, ":%04X", port);
        final List<String> inodes = new ArrayList<>();
        for (final String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            final Path p = Path.of(table);
            if (!Files.exists(p)) {
                continue;
            }
            for (final String line : Files.readAllLines(p)) {
                final String[] f = line.trim().split("\\s+");
                // local_address is f[1], state f[3] (0A = LISTEN), inode f[9]
                if (f.length > 9 && f[1].endsWith(hexPort) && "0A".equals(f[3])) {
                    inodes.add("socket:[" + f[9] + "]");
                }
            }
        }
        if (inodes.isEmpty()) {
            throw new IllegalArgumentException("no process listens on port " + port + "; start the server first or"
                    + " pass --server-pid");
        }
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (final Path proc : procs) {
                try (DirectoryStream<Path> fds = Files.newDirectoryStream(proc.resolve("fd"))) {
                    for (final Path fd : fds) {
                        if (inodes.contains(Files.readSymbolicLink(fd).toString())) {
                            return Long.parseLong(proc.getFileName().toString());
                        }
                    }
                } catch (final IOException | SecurityException e) {
                    // another user's process, or gone: not ours to read
                }
            }
        }
        throw new IllegalArgumentException("cannot find the process listening on port " + port
                + " (another user's?); pass --server-pid");
    }

    /** A process's CPU time (user + system) from /proc/<pid>/stat. */
    static final class ProcCpu {
        final Path stat;
        final long ticksPerSecond;

        ProcCpu(final long pid) throws IOException {
            stat = Path.of("/proc", Long.toString(pid), "stat");
            if (!Files.isReadable(stat)) {
                throw new IllegalArgumentException("cannot read " + stat + ": is process " + pid + " running?");
            }
            ticksPerSecond = clockTicks();
        }

        double seconds() {
            try {
                final String s = Files.readString(stat);
                // Fields after the command name (which may hold spaces) start after the last ')'.
                final String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
                return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / (double) ticksPerSecond; // utime, stime
            } catch (final IOException e) {
                throw new IllegalStateException("cannot read " + stat + ": " + e.getMessage(), e);
            }
        }

        /** AT_CLKTCK (17) from this process's auxiliary vector: the unit of utime and stime (usually 100). */
        private static long clockTicks() throws IOException {
            final ByteBuffer auxv = ByteBuffer.wrap(Files.readAllBytes(Path.of("/proc/self/auxv")))
                    .order(ByteOrder.nativeOrder());
            while (auxv.remaining() >= 16) {
                final long key = auxv.getLong();
                final long value = auxv.getLong();
                if (key == 17) {
                    return value;
                }
            }
            return 100;
        }
    }

    /** Runs the benchmark on its own. */
    public static void main(final String[] args) {
        System.exit(new picocli.CommandLine(new BinaryBenchCommand()).execute(args));
    }
}
