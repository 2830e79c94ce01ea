package io.funnel.loadtest.features;

import io.funnel.features.ChronicleFeatureStore;
import io.funnel.features.ChronicleFeatureStore.ItemBackend;
import io.funnel.features.ChronicleFeatureWriter;
import io.funnel.features.FeatureSchema;
import io.funnel.features.ItemColumns;
import io.funnel.features.ItemRowFlyweight;
import io.funnel.features.UserRow;
import io.funnel.features.UserRowFlyweight;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;

/**
 * {@code funnel bench features}: time to hydrate {@code --candidates} random items (64-d embedding + 16 scalars each)
 * plus one user row, from the dense memory-mapped item table (the serving path), the Chronicle Map per-key path, an
 * on-heap {@code HashMap}, and with {@code --redis} a real Redis on loopback (pipelined MGET + GET via Jedis). Backends
 * take turns in rounds so machine noise hits them alike. Prints a table and writes JSON with p50/p99 per backend and
 * the ratios.
 */
@Command(name = "features", mixinStandardHelpOptions = true,
        description = "Feature hydration benchmark: dense mmapped table vs Chronicle Map vs on-heap map vs Redis.")
public final class FeaturesBenchCommand implements Callable<Integer> {
    @Option(names = "--items", defaultValue = "1000000", description = "items in the catalog (default ${DEFAULT-VALUE})")
    int items;

    @Option(names = "--users", defaultValue = "1000000", description = "users (default ${DEFAULT-VALUE})")
    int users;

    @Option(names = "--candidates", defaultValue = "500", description = "items per hydration (default ${DEFAULT-VALUE})")
    int candidates;

    @Option(names = "--dim", defaultValue = "64", description = "embedding dimension (default ${DEFAULT-VALUE})")
    int dim;

    @Option(names = "--rounds", defaultValue = "10", description = "rounds; each backend runs once per round")
    int rounds;

    @Option(names = "--iterations", defaultValue = "500", description = "measured hydrations per backend per round")
    int iterations;

    @Option(names = "--warmup", defaultValue = "3000", description = "unmeasured hydrations per backend first")
    int warmup;

    @Option(names = "--redis", description = "also measure a Redis server started on a free loopback port")
    boolean redis;

    @Option(names = "--install-redis",
            description = "run `apt-get install -y redis-server` if redis-server is not on the PATH")
    boolean installRedis;

    @Option(names = "--redis-server", defaultValue = "redis-server", description = "redis-server binary")
    String redisServer;

    @Option(names = "--dir", description = "where the store files go (default: a temp dir under target/ or /tmp)")
    Path dir;

    @Option(names = "--keep", description = "keep the store files after the run")
    boolean keep;

    @Option(names = "--seed", defaultValue = "42", description = "random seed for the queries")
    long seed;

    @Option(names = "--no-prefault", negatable = false,
            description = "skip reading every row once before the warm-up (by default the mmapped files are faulted in,"
                    + " as a server does at start; Redis and the heap map hold their data in memory already)")
    boolean noPrefault;

    @Option(names = "--json", description = "write the results as JSON here")
    Path json;

    private long sink;

    /** One way to hydrate a request's features. */
    private interface Backend {
        String name();

        void hydrate(int user, int[] ordinals, int n);
    }

    public static void main(final String[] args) {
        System.exit(new CommandLine(new FeaturesBenchCommand()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        if (items < 1 || users < 1 || candidates < 1 || candidates > items || dim < 1 || rounds < 1 || iterations < 1
                || warmup < 0) {
            throw new CommandLine.ParameterException(new CommandLine(this),
                    "--items, --users, --dim, --rounds, --iterations must be positive and --candidates 1..--items");
        }
        final Path root = dir != null ? dir : Files.createTempDirectory(
                Files.isDirectory(Path.of("target")) ? Path.of("target") : Path.of(System.getProperty("java.io.tmpdir")),
                "bench-features");
        final FeatureSchema schema = BenchData.schema(dim);
        final BenchData data = new BenchData(schema);
        final Map<String, Object> result = new LinkedHashMap<>();
        result.put("date", Instant.now().toString());
        result.put("items", items);
        result.put("users", users);
        result.put("candidates", candidates);
        result.put("dim", dim);
        result.put("item_row_bytes", schema.itemLayout().rowBytes());
        result.put("user_row_bytes", schema.userLayout().rowBytes());
        result.put("cpus", Runtime.getRuntime().availableProcessors());
        result.put("jvm", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));

        // ---- load the dense store (items + users), then reopen it to time the open and prove the rows come back
        final Path denseDir = root.resolve("dense");
        final Path chronicleDir = root.resolve("chronicle");
        long t = System.nanoTime();
        try (ChronicleFeatureStore store = open(denseDir, schema, ItemBackend.DENSE)) {
            final ChronicleFeatureWriter w = store.writer();
            for (int i = 0; i < items; i++) {
                data.fillItem(w.stageItem(BenchData.itemId(i)), i);
                w.commitItem();
            }
            for (int u = 0; u < users; u++) {
                data.fillUser(w.stageUser(BenchData.userId(u)), u, items);
                w.commitUser();
            }
        }
        log("dense store loaded: %d items, %d users in %.1f s", items, users, (System.nanoTime() - t) / 1e9);
        t = System.nanoTime();
        final ChronicleFeatureStore dense = open(denseDir, schema, ItemBackend.DENSE);
        final double openMs = (System.nanoTime() - t) / 1e6;
        if (dense.itemCount() != items) {
            throw new IllegalStateException("reopened store holds " + dense.itemCount() + " items, wrote " + items);
        }
        final long itemFiles = size(denseDir.resolve("items.dense")) + size(denseDir.resolve("item-ids.cm"));
        final long userFiles = size(denseDir.resolve("users.cm"));
        result.put("open_ms", round(openMs));
        result.put("dense_items_files_bytes", itemFiles);
        result.put("dense_items_files_mib", round(itemFiles / 1048576.0));
        result.put("users_file_bytes", userFiles);
        result.put("users_file_mib", round(userFiles / 1048576.0));
        log("reopened in %.0f ms; item files %.1f MiB (items.dense + item-ids.cm), users.cm %.1f MiB", openMs,
                itemFiles / 1048576.0, userFiles / 1048576.0);

        // ---- the Chronicle per-key item path (users are read from the same Chronicle user map as above)
        t = System.nanoTime();
        final ChronicleFeatureStore chronicle = ChronicleFeatureStore.builder().directory(chronicleDir).schema(schema)
                .itemBackend(ItemBackend.CHRONICLE).expectedItems(items).expectedUsers(1).open();
        final ChronicleFeatureWriter cw = chronicle.writer();
        for (int i = 0; i < items; i++) {
            data.fillItem(cw.stageItem(BenchData.itemId(i)), i);
            cw.commitItem();
        }
        final long chronicleItemFiles = size(chronicleDir.resolve("items.cm")) + size(chronicleDir.resolve("item-ids.cm"));
        result.put("chronicle_items_files_bytes", chronicleItemFiles);
        log("chronicle item map loaded in %.1f s (%.1f MiB)", (System.nanoTime() - t) / 1e9,
                chronicleItemFiles / 1048576.0);

        // ---- payload bytes, shared by the heap map and Redis
        final byte[] itemBytes = new byte[schema.itemLayout().rowBytes()];
        final ItemRowFlyweight itemRow = new ItemRowFlyweight(schema.itemLayout()).wrap(MemorySegment.ofArray(itemBytes), 0);
        final byte[] userBytes = new byte[schema.userLayout().rowBytes()];
        final UserRowFlyweight userRow = new UserRowFlyweight(schema.userLayout()).wrap(MemorySegment.ofArray(userBytes), 0);

        // ---- on-heap HashMap<Long, float[]>: embedding + 16 scalars as floats per item; embedding + recent per user
        t = System.nanoTime();
        final int scalars = 16;
        final Map<Long, float[]> heapItems = new HashMap<>(items * 2);
        final Map<Long, float[]> heapUsers = new HashMap<>(users * 2);
        final ItemColumns one = ItemColumns.forSchema(schema, 1);
        for (int i = 0; i < items; i++) {
            itemRow.reset();
            data.fillItem(itemRow, i);
            itemRow.copyTo(one, 0);
            final float[] v = new float[dim + scalars];
            System.arraycopy(one.embeddings(), 0, v, 0, dim);
            v[dim] = one.category()[0];
            v[dim + 1] = one.inStock()[0] ? 1 : 0;
            v[dim + 2] = one.createdAtMs()[0];
            for (int k = 0; k < scalars - 3; k++) {
                v[dim + 3 + k] = k < one.extraFloatWidth() ? one.extraFloats()[k] : one.extraLongs()[k - one.extraFloatWidth()];
            }
            heapItems.put(BenchData.itemId(i), v);
        }
        for (int u = 0; u < users; u++) {
            userRow.reset();
            data.fillUser(userRow, u, items);
            final float[] v = new float[dim + BenchData.RECENT_PER_USER];
            MemorySegment.copy(MemorySegment.ofArray(userBytes), ValueLayout.JAVA_FLOAT_UNALIGNED,
                    schema.userLayout().offset(FeatureSchema.EMBEDDING), v, 0, dim);
            heapUsers.put(BenchData.userId(u), v);
        }
        log("heap maps built in %.1f s", (System.nanoTime() - t) / 1e9);

        // ---- backends
        final List<Backend> backends = new ArrayList<>();
        final ItemColumns cols = ItemColumns.forSchema(schema, candidates);
        final UserRow user = new UserRow(dim);
        backends.add(new Backend() {
            @Override
            public String name() {
                return "dense";
            }

            @Override
            public void hydrate(final int u, final int[] ords, final int n) {
                dense.readUser(BenchData.userId(u), user);
                dense.readItems(ords, n, cols);
                sink += cols.category()[n - 1] + user.recentCount();
            }
        });
        backends.add(new Backend() {
            @Override
            public String name() {
                return "chronicle";
            }

            @Override
            public void hydrate(final int u, final int[] ords, final int n) {
                dense.readUser(BenchData.userId(u), user);
                chronicle.readItems(ords, n, cols);
                sink += cols.category()[n - 1] + user.recentCount();
            }
        });
        final float[] heapEmb = new float[candidates * dim];
        final float[] heapScalars = new float[candidates * scalars];
        final float[] heapUser = new float[dim + BenchData.RECENT_PER_USER];
        backends.add(new Backend() {
            @Override
            public String name() {
                return "heap_map";
            }

            @Override
            public void hydrate(final int u, final int[] ords, final int n) {
                final float[] uv = heapUsers.get(BenchData.userId(u));
                System.arraycopy(uv, 0, heapUser, 0, uv.length);
                for (int i = 0; i < n; i++) {
                    final float[] v = heapItems.get(BenchData.itemId(ords[i]));
                    System.arraycopy(v, 0, heapEmb, i * dim, dim);
                    System.arraycopy(v, dim, heapScalars, i * scalars, scalars);
                }
                sink += (long) heapScalars[(n - 1) * scalars] + (long) heapUser[0];
            }
        });
        RedisServer server = null;
        if (redis) {
            server = RedisServer.start(redisServer, installRedis, root);
            backends.add(loadRedis(server, schema, data, itemRow, itemBytes, userRow, userBytes, cols, user));
        }

        // ---- queries: the same (user, candidates) sequence for every backend
        final SplittableRandom rnd = new SplittableRandom(seed);
        final int total = rounds * iterations;
        final int[][] queries = new int[total][candidates];
        final int[] queryUsers = new int[total];
        for (int q = 0; q < total; q++) {
            queryUsers[q] = rnd.nextInt(users);
            for (int i = 0; i < candidates; i++) {
                queries[q][i] = rnd.nextInt(items);
            }
        }
        final int[][] warm = new int[64][candidates];
        for (final int[] w : warm) {
            for (int i = 0; i < candidates; i++) {
                w[i] = rnd.nextInt(items);
            }
        }
        if (!noPrefault) {
            t = System.nanoTime();
            final int[] all = new int[Math.min(items, 4096)];
            for (int from = 0; from < items; from += all.length) {
                final int k = Math.min(all.length, items - from);
                for (int i = 0; i < k; i++) {
                    all[i] = from + i;
                }
                final ItemColumns big = ItemColumns.forSchema(schema, all.length);
                dense.readItems(all, k, big);
                chronicle.readItems(all, k, big);
            }
            for (int u = 0; u < users; u++) {
                dense.readUser(BenchData.userId(u), user);
            }
            log("prefaulted the store files (read every item and user row once) in %.1f s",
                    (System.nanoTime() - t) / 1e9);
        }
        result.put("prefaulted", !noPrefault);
        final Map<String, long[]> latencies = new LinkedHashMap<>();
        final Map<String, Long> gcMs = new LinkedHashMap<>();
        final Map<String, Long> allocated = new LinkedHashMap<>();
        final com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        result.put("loadavg_before", loadAverage());
        try {
            for (final Backend b : backends) {
                t = System.nanoTime();
                for (int k = 0; k < warmup; k++) {
                    b.hydrate(k % users, warm[k & 63], candidates);
                }
                latencies.put(b.name(), new long[total]);
                log("warmed %s (%d hydrations, %.1f s)", b.name(), warmup, (System.nanoTime() - t) / 1e9);
            }
            for (int r = 0; r < rounds; r++) {
                for (final Backend b : backends) {
                    final long[] lat = latencies.get(b.name());
                    final long gcBefore = gcMillis();
                    final long allocBefore = threads.getCurrentThreadAllocatedBytes();
                    for (int k = 0; k < iterations; k++) {
                        final int q = r * iterations + k;
                        final long start = System.nanoTime();
                        b.hydrate(queryUsers[q], queries[q], candidates);
                        lat[q] = System.nanoTime() - start;
                    }
                    allocated.merge(b.name(), threads.getCurrentThreadAllocatedBytes() - allocBefore, Long::sum);
                    gcMs.merge(b.name(), gcMillis() - gcBefore, Long::sum);
                }
                log("round %d/%d done", r + 1, rounds);
            }
        } finally {
            if (server != null) {
                server.close();
            }
            dense.close();
            chronicle.close();
            if (!keep && dir == null) {
                deleteTree(root);
            }
        }

        result.put("loadavg_after", loadAverage());

        // ---- report
        final Map<String, Object> per = new LinkedHashMap<>();
        final Map<String, double[]> pct = new LinkedHashMap<>();
        System.out.printf(Locale.ROOT, "%nhydrate %d candidates (%d-d + 16 scalars) + 1 user, %d items, %d users, "
                + "%d samples per backend%n", candidates, dim, items, users, total);
        System.out.printf(Locale.ROOT, "%-10s %10s %10s %10s %10s %12s%n", "backend", "p50 us", "p99 us", "p99.9 us",
                "mean us", "B/hydration");
        for (final Map.Entry<String, long[]> e : latencies.entrySet()) {
            final long[] lat = e.getValue().clone();
            Arrays.sort(lat);
            final double p50 = lat[(int) (0.50 * (lat.length - 1))] / 1e3;
            final double p99 = lat[(int) Math.ceil(0.99 * (lat.length - 1))] / 1e3;
            final double p999 = lat[(int) Math.ceil(0.999 * (lat.length - 1))] / 1e3;
            final double mean = Arrays.stream(lat).average().orElse(0) / 1e3;
            pct.put(e.getKey(), new double[] {p50, p99});
            final Map<String, Object> m = new LinkedHashMap<>();
            m.put("p50_us", round(p50));
            m.put("p90_us", round(lat[(int) Math.ceil(0.90 * (lat.length - 1))] / 1e3));
            m.put("p99_us", round(p99));
            m.put("p999_us", round(p999));
            m.put("mean_us", round(mean));
            m.put("max_us", round(lat[lat.length - 1] / 1e3));
            m.put("samples", lat.length);
            m.put("gc_ms_during", gcMs.getOrDefault(e.getKey(), 0L));
            m.put("allocated_bytes_per_hydration", round(allocated.getOrDefault(e.getKey(), 0L) / (double) lat.length));
            per.put(e.getKey(), m);
            System.out.printf(Locale.ROOT, "%-10s %10.1f %10.1f %10.1f %10.1f %12.1f%n", e.getKey(), p50, p99, p999, mean,
                    allocated.getOrDefault(e.getKey(), 0L) / (double) lat.length);
        }
        result.put("backends", per);
        final Map<String, Object> ratios = new LinkedHashMap<>();
        final double[] d = pct.get("dense");
        for (final String other : List.of("chronicle", "heap_map", "redis")) {
            final double[] o = pct.get(other);
            if (o != null) {
                ratios.put(other + "_over_dense_p50", round(o[0] / d[0]));
                ratios.put(other + "_over_dense_p99", round(o[1] / d[1]));
                System.out.printf(Locale.ROOT, "%s / dense: p50 %.1fx, p99 %.1fx%n", other, o[0] / d[0], o[1] / d[1]);
            }
        }
        result.put("ratios", ratios);
        final Map<String, Object> targets = new LinkedHashMap<>();
        targets.put("dense_p99_le_100us", d[1] <= 100);
        if (pct.containsKey("redis")) {
            targets.put("redis_over_dense_p50_ge_20", pct.get("redis")[0] / d[0] >= 20);
            targets.put("redis_over_dense_p99_ge_20", pct.get("redis")[1] / d[1] >= 20);
        }
        targets.put("item_files_lt_400mib", itemFiles < 400L * 1048576);
        targets.put("open_lt_3s", openMs < 3000);
        result.put("targets", targets);
        result.put("serving_path", "dense");
        System.out.printf(Locale.ROOT, "open %.0f ms, item files %.1f MiB, targets %s (sink %d)%n", openMs,
                itemFiles / 1048576.0, targets, sink);
        if (json != null) {
            final Path parent = json.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Files.writeString(json, toJson(result, 0) + "\n", StandardCharsets.UTF_8);
            log("wrote %s", json);
        }
        return 0;
    }

    private Backend loadRedis(final RedisServer server, final FeatureSchema schema, final BenchData data,
            final ItemRowFlyweight itemRow, final byte[] itemBytes, final UserRowFlyweight userRow,
            final byte[] userBytes, final ItemColumns cols, final UserRow user) {
        final long t = System.nanoTime();
        final Jedis jedis = server.client();
        final byte[][] itemKeys = new byte[items][];
        Pipeline p = jedis.pipelined();
        for (int i = 0; i < items; i++) {
            itemKeys[i] = ("i:" + BenchData.itemId(i)).getBytes(StandardCharsets.US_ASCII);
            itemRow.reset();
            data.fillItem(itemRow, i);
            p.set(itemKeys[i], itemBytes.clone());
            if ((i & 1023) == 1023) {
                p.sync();
                p = jedis.pipelined();
            }
        }
        for (int u = 0; u < users; u++) {
            userRow.reset();
            data.fillUser(userRow, u, items);
            p.set(("u:" + BenchData.userId(u)).getBytes(StandardCharsets.US_ASCII), userBytes.clone());
            if ((u & 1023) == 1023) {
                p.sync();
                p = jedis.pipelined();
            }
        }
        p.sync();
        log("redis loaded in %.1f s (%s)", (System.nanoTime() - t) / 1e9, server.describe());
        final byte[][] keys = new byte[candidates][];
        final int embOffset = schema.userLayout().offset(FeatureSchema.EMBEDDING);
        final ItemRowFlyweight decoder = new ItemRowFlyweight(schema.itemLayout());
        return new Backend() {
            @Override
            public String name() {
                return "redis";
            }

            @Override
            public void hydrate(final int u, final int[] ords, final int n) {
                final byte[][] k = n == keys.length ? keys : new byte[n][];
                for (int i = 0; i < n; i++) {
                    k[i] = itemKeys[ords[i]];
                }
                final Pipeline pl = jedis.pipelined();
                final Response<byte[]> ur = pl.get(("u:" + BenchData.userId(u)).getBytes(StandardCharsets.US_ASCII));
                final Response<List<byte[]>> ir = pl.mget(k);
                pl.sync();
                final byte[] ub = ur.get();
                MemorySegment.copy(MemorySegment.ofArray(ub), ValueLayout.JAVA_FLOAT_UNALIGNED, embOffset,
                        user.embedding(), 0, dim);
                cols.reset(n);
                final List<byte[]> rows = ir.get();
                for (int i = 0; i < n; i++) {
                    decoder.wrap(MemorySegment.ofArray(rows.get(i)), 0).copyTo(cols, i);
                }
                sink += cols.category()[n - 1];
            }
        };
    }

    private ChronicleFeatureStore open(final Path d, final FeatureSchema schema, final ItemBackend backend) {
        return ChronicleFeatureStore.builder().directory(d).schema(schema).itemBackend(backend).expectedItems(items)
                .expectedUsers(users).open();
    }

    private static long gcMillis() {
        long total = 0;
        for (final java.lang.management.GarbageCollectorMXBean gc
                : java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()) {
            total += Math.max(0, gc.getCollectionTime());
        }
        return total;
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (final IOException | RuntimeException e) {
            return "unknown";
        }
    }

    private static long size(final Path p) throws IOException {
        return Files.exists(p) ? Files.size(p) : 0;
    }

    private static double round(final double v) {
        return Math.round(v * 100) / 100.0;
    }

    private static void log(final String fmt, final Object... args) {
        System.err.println("[bench features] " + String.format(Locale.ROOT, fmt, args));
    }

    private static void deleteTree(final Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            for (final Path p : s.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    @SuppressWarnings("unchecked")
    static String toJson(final Object v, final int indent) {
        if (v instanceof Map<?, ?> m) {
            final StringBuilder sb = new StringBuilder("{\n");
            int i = 0;
            for (final Map.Entry<?, ?> e : ((Map<Object, Object>) m).entrySet()) {
                sb.append("  ".repeat(indent + 1)).append('"').append(e.getKey()).append("\": ")
                        .append(toJson(e.getValue(), indent + 1)).append(++i < m.size() ? ",\n" : "\n");
            }
            return sb.append("  ".repeat(indent)).append('}').toString();
        }
        if (v instanceof String s) {
            return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
        }
        return String.valueOf(v);
    }

    /** A redis-server child process on a free loopback port, without persistence. */
    static final class RedisServer implements AutoCloseable {
        private final Process process;
        private final int port;
        private final Jedis jedis;
        private final String version;

        private RedisServer(final Process process, final int port, final Jedis jedis, final String version) {
            this.process = process;
            this.port = port;
            this.jedis = jedis;
            this.version = version;
        }

        static RedisServer start(final String binary, final boolean install, final Path workDir) throws Exception {
            if (!onPath(binary)) {
                if (!install) {
                    throw new IllegalStateException(binary + " not found on the PATH: install it with "
                            + "`apt-get install -y redis-server` or pass --install-redis");
                }
                log("installing redis-server with apt-get");
                final int rc = new ProcessBuilder("apt-get", "install", "-y", "redis-server").inheritIO().start()
                        .waitFor();
                if (rc != 0 || !onPath(binary)) {
                    throw new IllegalStateException("apt-get install -y redis-server failed (exit " + rc + ")");
                }
            }
            final int port;
            try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
                port = s.getLocalPort();
            }
            final Path redisDir = Files.createDirectories(workDir.resolve("redis"));
            final Process p = new ProcessBuilder(binary, "--port", Integer.toString(port), "--bind", "127.0.0.1",
                    "--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", redisDir.toString(),
                    "--maxmemory", "0").redirectErrorStream(true)
                    .redirectOutput(redisDir.resolve("redis.log").toFile()).start();
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            while (true) {
                try {
                    final Jedis j = new Jedis("127.0.0.1", port, 10_000);
                    j.ping();
                    final String info = j.info("server");
                    final String v = info.lines().filter(l -> l.startsWith("redis_version:")).findFirst()
                            .orElse("redis_version:?").substring("redis_version:".length());
                    return new RedisServer(p, port, j, v);
                } catch (final RuntimeException e) {
                    if (!p.isAlive() || System.nanoTime() > deadline) {
                        p.destroyForcibly();
                        throw new IllegalStateException("redis-server did not start on port " + port + "; see "
                                + redisDir.resolve("redis.log"), e);
                    }
                    Thread.sleep(50);
                }
            }
        }

        private static boolean onPath(final String binary) {
            if (binary.contains("/")) {
                return Files.isExecutable(Path.of(binary));
            }
            for (final String d : System.getenv().getOrDefault("PATH", "").split(":")) {
                if (Files.isExecutable(Path.of(d, binary))) {
                    return true;
                }
            }
            return Files.isExecutable(Path.of("/usr/bin", binary)) || Files.isExecutable(Path.of("/usr/sbin", binary));
        }

        Jedis client() {
            return jedis;
        }

        String describe() {
            return "redis " + version + " on 127.0.0.1:" + port + ", no persistence";
        }

        @Override
        public void close() {
            jedis.close();
            process.destroy();
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (final InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }
}
