package io.funnel.loadtest.jmh;

import io.funnel.features.ChronicleFeatureStore;
import io.funnel.features.ChronicleFeatureStore.ItemBackend;
import io.funnel.features.ChronicleFeatureWriter;
import io.funnel.features.FeatureSchema;
import io.funnel.features.ItemColumns;
import io.funnel.features.UserRow;
import io.funnel.loadtest.features.BenchData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Steady-state feature hydration: one user row plus a batch of random item rows, from the dense mmapped table and from
 * the Chronicle Map per-key path. Run with {@code -prof gc}: {@code gc.alloc.rate.norm} must be ~0 B/op.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class FeatureHydrationBenchmark {

    /** The two stores, loaded once per fork. */
    @State(Scope.Benchmark)
    public static class Stores {
        @Param("100000")
        public int items;

        @Param("10000")
        public int users;

        public ChronicleFeatureStore dense;
        public ChronicleFeatureStore chronicle;
        public FeatureSchema schema;
        private Path root;

        @Setup(Level.Trial)
        public void load() throws IOException {
            schema = BenchData.schema(64);
            final BenchData data = new BenchData(schema);
            root = Files.createTempDirectory("jmh-features");
            dense = ChronicleFeatureStore.builder().directory(root.resolve("dense")).schema(schema)
                    .expectedItems(items).expectedUsers(users).open();
            chronicle = ChronicleFeatureStore.builder().directory(root.resolve("chronicle")).schema(schema)
                    .itemBackend(ItemBackend.CHRONICLE).expectedItems(items).expectedUsers(1).open();
            for (final ChronicleFeatureStore s : new ChronicleFeatureStore[] {dense, chronicle}) {
                final ChronicleFeatureWriter w = s.writer();
                for (int i = 0; i < items; i++) {
                    data.fillItem(w.stageItem(BenchData.itemId(i)), i);
                    w.commitItem();
                }
            }
            final ChronicleFeatureWriter w = dense.writer();
            for (int u = 0; u < users; u++) {
                data.fillUser(w.stageUser(BenchData.userId(u)), u, items);
                w.commitUser();
            }
        }

        @TearDown(Level.Trial)
        public void close() {
            // Closing Chronicle maps allocates, and the gc profiler would count it in the last iteration: close and
            // delete at JVM exit instead, so every measured iteration shows only the hydration's allocation.
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                dense.close();
                chronicle.close();
                try (Stream<Path> s = Files.walk(root)) {
                    for (final Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                        Files.deleteIfExists(p);
                    }
                } catch (final IOException e) {
                    System.err.println("could not delete " + root + ": " + e);
                }
            }));
        }
    }

    /** One reader thread's scratch and pre-drawn queries. */
    @State(Scope.Thread)
    public static class Reader {
        @Param("500")
        public int candidates;

        public ItemColumns columns;
        public UserRow user;
        public int[][] queries;
        public long[] userIds;
        public int next;

        @Setup(Level.Trial)
        public void setUp(final Stores stores) {
            columns = ItemColumns.forSchema(stores.schema, candidates);
            user = new UserRow(stores.schema.dimension());
            final SplittableRandom r = new SplittableRandom(7);
            queries = new int[256][candidates];
            userIds = new long[256];
            for (int q = 0; q < queries.length; q++) {
                userIds[q] = BenchData.userId(r.nextInt(stores.users));
                for (int i = 0; i < candidates; i++) {
                    queries[q][i] = r.nextInt(stores.items);
                }
            }
        }
    }

    @Benchmark
    public float dense(final Stores s, final Reader r) {
        final int q = r.next++ & 255;
        s.dense.readUser(r.userIds[q], r.user);
        s.dense.readItems(r.queries[q], r.candidates, r.columns);
        return r.columns.embeddings()[0] + r.user.embedding()[0];
    }

    @Benchmark
    public float chronicle(final Stores s, final Reader r) {
        final int q = r.next++ & 255;
        s.dense.readUser(r.userIds[q], r.user);
        s.chronicle.readItems(r.queries[q], r.candidates, r.columns);
        return r.columns.embeddings()[0] + r.user.embedding()[0];
    }
}
