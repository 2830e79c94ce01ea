package io.funnel.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ModelRegistryTest {
    private static final TestModels.Data PROBE = TestModels.data(100, 1234);

    private static float[] score(final Scorer scorer) {
        final float[] out = new float[PROBE.rows() * scorer.headCount()];
        scorer.score(PROBE.x(), PROBE.rows(), out);
        return out;
    }

    private static ModelRegistry registry(final Path root) {
        return ModelRegistry.builder(root).expectedFeatures(TestModels.FEATURES).warmupIterations(1).build();
    }

    @Test
    void loadsTheNewestVersionOnBuildAndReloadsNewerOnes(@TempDir final Path root) {
        TestModels.exportVersion(root, "20261101");
        TestModels.exportVersion(root, "20261102");
        try (ModelRegistry registry = registry(root)) {
            assertEquals("20261102", registry.currentVersion());
            assertArrayEquals(TestModels.trained().predict(PROBE.x(), PROBE.rows()), score(registry.scorer()), 1e-6f);
            assertEquals(ModelRegistry.Status.UNCHANGED, registry.reload().status());
            TestModels.exportVersion(root, "20261103");
            final ModelRegistry.ReloadResult result = registry.reload();
            assertEquals(ModelRegistry.Status.LOADED, result.status(), result.message());
            assertEquals("20261103", registry.currentVersion());
            assertEquals(List.of("20261103", "20261102"), registry.versions(), "keeps two versions by default");
        }
    }

    @Test
    void swapAndRollbackUnderConcurrentScoringFailNoRequest(@TempDir final Path root) throws Exception {
        TestModels.exportVersion(root, "v1");
        try (ModelRegistry registry = registry(root);
                MicroBatcher batcher = MicroBatcher.builder(registry.scorer()).maxBatch(512).build()) {
            final float[] expected = TestModels.trained().predict(PROBE.x(), PROBE.rows());
            final AtomicBoolean stop = new AtomicBoolean();
            final AtomicLong ok = new AtomicLong();
            final AtomicReference<Throwable> failure = new AtomicReference<>();
            final List<Thread> clients = new ArrayList<>();
            for (int c = 0; c < 2; c++) {
                clients.add(Thread.ofPlatform().start(() -> {
                    while (!stop.get() && failure.get() == null) {
                        final Future<float[]> f = batcher.submit(PROBE.x(), PROBE.rows());
                        try {
                            final float[] got = f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
                            // Every version is the same network, so every answer must be the same.
                            assertArrayEquals(expected, got, 1e-6f);
                            ok.incrementAndGet();
                        } catch (Throwable t) {
                            failure.compareAndSet(null, t);
                        }
                    }
                }));
            }
            for (int v = 2; v <= 4; v++) {
                TestModels.exportVersion(root, "v" + v);
                assertEquals(ModelRegistry.Status.LOADED, registry.reload().status());
                assertEquals("v" + v, registry.currentVersion());
            }
            assertEquals("v3", registry.rollback());
            final long before = ok.get();
            while (ok.get() < before + 20 && failure.get() == null) {
                Thread.sleep(5);
            }
            stop.set(true);
            for (final Thread t : clients) {
                t.join();
            }
            assertNull(failure.get(), () -> "a request failed during swaps: " + failure.get());
            assertTrue(ok.get() > 20);
            assertEquals(0, batcher.failedScorer());
            assertEquals(List.of("v3"), registry.versions(), "v4 dropped by the rollback, v1 and v2 evicted");
            assertEquals(ModelRegistry.Status.UNCHANGED, registry.reload().status(),
                    "a rolled-back version is not re-activated by reload");
            assertEquals("v3", registry.currentVersion());
            assertNull(registry.rollback(), "nothing left to roll back to");
        }
    }

    @Test
    void corruptOrIncompatibleBundlesAreRejectedWhileTheOldOneServes(@TempDir final Path root) throws IOException {
        TestModels.exportVersion(root, "v1");
        try (ModelRegistry registry = registry(root)) {
            final float[] before = score(registry.scorer());

            // A manifest that is not JSON.
            final Path bad = Files.createDirectories(root.resolve("v2/ranker"));
            Files.writeString(bad.resolve("manifest.json"), "{ not json", StandardCharsets.UTF_8);
            assertRejected(registry, "v2", "manifest does not parse");

            // A feature list other than the engine's.
            final Path other = TestModels.exportVersion(root, "v3");
            final String manifest = Files.readString(other.resolve("manifest.json"));
            Files.writeString(other.resolve("manifest.json"), manifest.replace("\"noise_c\"", "\"dwell_time\""));
            assertRejected(registry, "v3", "incompatible feature list");

            // A SavedModel whose variables were damaged on disk.
            final Path damaged = TestModels.exportVersion(root, "v4");
            try (var files = Files.list(damaged.resolve("saved_model/variables"))) {
                for (final Path p : files.filter(p -> p.getFileName().toString().contains(".data-")).toList()) {
                    final byte[] bytes = Files.readAllBytes(p);
                    for (int i = 0; i < bytes.length; i += 7) {
                        bytes[i] ^= 0x5a;
                    }
                    Files.write(p, bytes);
                }
            }
            assertRejected(registry, "v4", "v4");

            // A bundle without its SavedModel.
            final Path missing = TestModels.exportVersion(root, "v5");
            deleteTree(missing.resolve("saved_model"));
            assertRejected(registry, "v5", "SavedModel directory named by the manifest is missing");

            // Other heads than the serving model's.
            final Path heads = TestModels.exportVersion(root, "v6");
            final String m6 = Files.readString(heads.resolve("manifest.json"));
            assertTrue(m6.contains(", \"p_click_like\" ]"), m6);
            Files.writeString(heads.resolve("manifest.json"), m6.replace(", \"p_click_like\" ]", " ]"));
            assertRejected(registry, "v6", "incompatible heads");

            // A rejected bundle is not retried until it changes.
            assertEquals(ModelRegistry.Status.UNCHANGED, registry.reload().status());
            assertEquals("v1", registry.currentVersion());
            assertArrayEquals(before, score(registry.scorer()));
        }
    }

    @Test
    void explicitLoadOfABadFolderThrowsNamingIt(@TempDir final Path root) {
        TestModels.exportVersion(root, "v1");
        try (ModelRegistry registry = registry(root)) {
            final ModelException e = assertThrows(ModelException.class, () -> registry.load(root.resolve("nope")));
            assertTrue(e.getMessage().contains(root.resolve("nope").toString()), e.getMessage());
            assertTrue(e.getMessage().contains("missing ranker manifest"), e.getMessage());
            assertEquals("v1", registry.currentVersion());
        }
    }

    @Test
    void emptyFolderMeansNoModelUntilOneArrives(@TempDir final Path root) throws Exception {
        try (ModelRegistry registry = ModelRegistry.builder(root).warmupIterations(1)
                .pollInterval(java.time.Duration.ofMillis(50)).build()) {
            assertFalse(registry.hasModel());
            final ModelException e = assertThrows(ModelException.class, () -> score(registry.scorer()));
            assertTrue(e.getMessage().contains("no model version is loaded"));
            // Written aside and renamed in, as a trainer should; the watcher picks it up.
            TestModels.exportVersion(root, "v1.tmp");
            Files.move(root.resolve("v1.tmp"), root.resolve("v1"));
            final long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!registry.hasModel() && System.nanoTime() < until) {
                Thread.sleep(20);
            }
            assertEquals("v1.tmp", registry.currentVersion(), "the manifest's version, not the folder name");
            assertEquals(3 * PROBE.rows(), score(registry.scorer()).length);
        }
    }

    private static void assertRejected(final ModelRegistry registry, final String version, final String reason) {
        final ModelRegistry.ReloadResult result = registry.reload();
        assertEquals(ModelRegistry.Status.REJECTED, result.status(), result.message());
        assertTrue(result.message().contains(version), "names the bundle: " + result.message());
        assertTrue(result.message().contains(reason), "says why: " + result.message());
        assertEquals("v1", result.version(), "the old version keeps serving");
        assertEquals("v1", registry.currentVersion());
    }

    private static void deleteTree(final Path dir) {
        if (dir == null) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            for (final Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
