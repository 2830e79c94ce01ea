package io.funnel.ann;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A single-threaded build is reproducible for a seed across JVMs: two child JVMs (fixed-order SIMD sums, the kernels
 * of this run) build, edit, compact and save the same index, and the files must be byte-identical. This is what
 * {@code funnel train} relies on for {@code state/index.hnsw} and for the index of its training-example state.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HnswReproducibleBuildTest {
    private static final int DIM = 24;
    /** Enough nodes that the default settings would link on several threads (one per 256 nodes). */
    private static final int N = 3000;

    @TempDir
    Path dir;

    @Test
    void twoJvmsWriteIdenticalFilesForOneSeed() throws Exception {
        final Path a = build(dir.resolve("a.hnsw"), 7);
        final Path b = build(dir.resolve("b.hnsw"), 7);
        final byte[] first = Files.readAllBytes(a);
        assertArrayEquals(first, Files.readAllBytes(b), "same seed, same bytes");
        final byte[] other = Files.readAllBytes(build(dir.resolve("c.hnsw"), 8));
        assertFalse(java.util.Arrays.equals(first, other), "the seed decides the levels, so the file");
    }

    /** Runs {@link #main} in a child JVM. */
    private static Path build(final Path out, final long seed) throws Exception {
        final String options = System.getProperty("funnel.jvm.options.file", "../config/jvm.options");
        final List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "@" + options, "-Xmx256m", "-Dfunnel.vectorOps=" + System.getProperty("funnel.vectorOps", "auto"),
                "-Dfunnel.vectorOps.fixedOrder=true", "-cp", System.getProperty("java.class.path"),
                HnswReproducibleBuildTest.class.getName(), out.toString(), Long.toString(seed));
        final Process process = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        final String output = new String(process.getInputStream().readAllBytes());
        assertEquals(0, process.waitFor(), "child JVM failed:\n" + output);
        return out;
    }

    /** Child JVM: builds the index on one thread with the given seed and saves it to {@code args[0]}. */
    public static void main(final String[] args) throws Exception {
        final float[][] data = TestVectors.clustered(N, DIM, 11);
        try (HnswVectorIndex index = HnswVectorIndex.builder(DIM, Metric.INNER_PRODUCT)
                .maxDegree(8)
                .buildBeam(40)
                .buildThreads(1)
                .seed(Long.parseLong(args[1]))
                .build()) {
            index.addAll(data, 0);
            // The writer paths beside addAll: single inserts, a tombstone and a compaction.
            index.add(N, TestVectors.clustered(1, DIM, 12)[0]);
            index.remove(5);
            index.compact();
            index.save(Path.of(args[0]));
        }
    }
}
