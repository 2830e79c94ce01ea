package io.funnel.features;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.funnel.features.ChronicleFeatureStore.ItemBackend;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Starts {@link CrashWriterMain} in a child JVM with the project's JVM flags ({@code @config/jvm.options}), lets it
 * write, kills it with SIGKILL mid-write, then reopens the store and checks every acknowledged row.
 */
class CrashRecoveryTest {
    private static final int ACKS_BEFORE_KILL = 3_000;

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(ItemBackend.class)
    void aKilledWriterLeavesAStoreThatReopensWithEveryAcknowledgedRow(final ItemBackend backend) throws Exception {
        final String options = System.getProperty("funnel.jvm.options.file", "../config/jvm.options");
        assertTrue(Files.exists(Path.of(options)), "JVM options file " + options);
        final List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "@" + options, "-Xmx256m",
                "-cp", System.getProperty("java.class.path"), CrashWriterMain.class.getName(),
                dir.toString(), backend.name()));
        final Process child = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        int acked = -1;
        final StringBuilder output = new StringBuilder();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null) {
                if (line.startsWith("ACK ")) {
                    acked = Integer.parseInt(line.substring(4));
                    if (acked >= ACKS_BEFORE_KILL) {
                        break;
                    }
                } else if (output.length() < 4000) {
                    output.append(line).append('\n');
                }
            }
            child.destroyForcibly(); // SIGKILL on Linux: no shutdown hooks, no close
            assertTrue(child.waitFor(30, TimeUnit.SECONDS), "child exited");
        }
        assertTrue(acked >= ACKS_BEFORE_KILL, "child acknowledged " + acked + " items; its output:\n" + output);
        assertTrue(Files.exists(dir.resolve(ChronicleFeatureStore.MARKER_FILE)), "the killed child left its marker");

        final FeatureSchema schema = TestSchemas.withExtras();
        final RowLayout l = schema.itemLayout();
        try (ChronicleFeatureStore store = ChronicleFeatureStore.builder().directory(dir).schema(schema)
                .itemBackend(backend).expectedItems(200_000).expectedUsers(1_000).open()) {
            assertTrue(store.recoveredFromCrash());
            final int n = store.itemCount();
            assertTrue(n > acked, "all acknowledged items are there: count " + n + ", acked up to " + acked);
            final ItemColumns c = ItemColumns.forSchema(schema, 1024);
            final int[] ords = new int[1024];
            final int sellerCol = l.extraColumn("seller_id");
            for (int from = 0; from < n; from += 1024) {
                final int k = Math.min(1024, n - from);
                for (int i = 0; i < k; i++) {
                    ords[i] = from + i;
                }
                store.readItems(ords, k, c);
                for (int i = 0; i < k; i++) {
                    final int ord = from + i;
                    assertEquals(ord, store.ordinalOf(store.itemIdAt(ord)), "id map entry of ordinal " + ord);
                    assertEquals(ord, store.itemIdAt(ord), "items were appended in id order");
                    assertEquals(ord % 1000, c.category()[i], "category of " + ord);
                    final float g = c.embeddings()[i * TestSchemas.DIM];
                    assertEquals((long) g, c.extraLongs()[i * l.extraLongWidth() + sellerCol], "row " + ord + " whole");
                    for (int d = 1; d < TestSchemas.DIM; d++) {
                        assertEquals(g + d / 10f, c.embeddings()[i * TestSchemas.DIM + d], "row " + ord + " whole");
                    }
                    assertTrue(g == ord || g >= 1_000_000, "row " + ord + " holds its own or a rewritten vector");
                }
            }
            // Chronicle Map's recovery may drop the entry that was being rewritten when the process died; the put
            // journal re-applies it, so every one of the 100 users must be back, whole.
            final UserRow u = new UserRow(TestSchemas.DIM);
            final java.util.List<Integer> missing = new java.util.ArrayList<>();
            for (int user = 0; user < 100; user++) {
                if (!store.readUser(user, u)) {
                    missing.add(user);
                } else {
                    assertTrue(u.recentCount() > 0, "user " + user + " has its recent items");
                }
            }
            assertEquals(List.of(), missing, "users lost in recovery");
            // The store is writable again and the next append gets the next ordinal.
            assertEquals(n, store.writer().putItem(10_000_000L, 1, true, 1, null));
        }
        assertTrue(!Files.exists(dir.resolve(ChronicleFeatureStore.MARKER_FILE)), "clean close after recovery");
    }
}
