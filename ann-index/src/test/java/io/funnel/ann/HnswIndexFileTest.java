package io.funnel.ann;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class HnswIndexFileTest {
    private static final int DIM = 16;
    private static final float[][] DATA = TestVectors.clustered(1500, DIM, 5);
    private static final float[][] QUERIES = TestVectors.clustered(40, DIM, 6);

    @TempDir
    Path dir;

    private static HnswVectorIndex built(final Quantization quantization) {
        final HnswVectorIndex index = HnswVectorIndex.builder(DIM, Metric.L2)
                .maxDegree(8)
                .buildBeam(60)
                .searchBeam(40)
                .quantization(quantization)
                .buildThreads(2)
                .build();
        index.addAll(DATA, 0);
        return index;
    }

    private static int[][] answers(final HnswVectorIndex index) {
        final SearchResults out = new SearchResults(10);
        final int[][] all = new int[QUERIES.length][];
        for (int q = 0; q < QUERIES.length; q++) {
            index.search(QUERIES[q], 10, OrdinalFilter.ALL, out);
            all[q] = new int[out.count()];
            for (int i = 0; i < out.count(); i++) {
                all[q][i] = out.ordinal(i);
            }
        }
        return all;
    }

    @ParameterizedTest
    @EnumSource(Quantization.class)
    void roundTripAnswersTheSame(final Quantization quantization) throws IOException {
        final Path file = dir.resolve("index.hnsw");
        try (HnswVectorIndex index = built(quantization)) {
            index.remove(7);
            index.remove(700);
            index.save(file);
            try (HnswVectorIndex loaded = HnswVectorIndex.load(file)) {
                assertEquals(index.size(), loaded.size());
                assertEquals(index.tombstoneCount(), loaded.tombstoneCount());
                assertEquals(40, loaded.searchBeam());
                assertEquals(quantization, loaded.quantization());
                assertArrayEquals(answers(index), answers(loaded));
                // A loaded index accepts writes: the first insert copies the mapped vectors into memory.
                loaded.add(DATA.length, QUERIES[0]);
                final SearchResults out = new SearchResults(1);
                loaded.search(QUERIES[0], 1, OrdinalFilter.ALL, out);
                assertEquals(DATA.length, out.ordinal(0));
                assertTrue(loaded.remove(3));
                assertEquals(3, loaded.compact());
            }
        }
    }

    @Test
    void emptyIndexRoundTrips() throws IOException {
        final Path file = dir.resolve("empty.hnsw");
        try (HnswVectorIndex index = HnswVectorIndex.builder(DIM, Metric.COSINE).build()) {
            index.save(file);
        }
        try (HnswVectorIndex loaded = HnswVectorIndex.load(file)) {
            assertEquals(0, loaded.size());
            assertEquals(Metric.COSINE, loaded.metric());
            loaded.add(0, DATA[0]);
            assertEquals(1, loaded.size());
        }
    }

    @Test
    void truncatedFileIsRejected() throws IOException {
        final Path file = saved();
        final byte[] bytes = Files.readAllBytes(file);
        Files.write(file, Arrays.copyOf(bytes, bytes.length - 100));
        assertFails(file, "truncated, " + (bytes.length - 100) + " bytes, the header says " + bytes.length);
        Files.write(file, Arrays.copyOf(bytes, 50));
        assertFails(file, "truncated, 50 bytes");
    }

    @Test
    void otherVersionIsRejected() throws IOException {
        final Path file = saved();
        final byte[] bytes = Files.readAllBytes(file);
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(8, 2);
        Files.write(file, bytes);
        assertFails(file, "index file format version 2, this build reads version 1");
    }

    @Test
    void otherFileIsRejected() throws IOException {
        final Path file = dir.resolve("not-an-index.bin");
        Files.write(file, new byte[4096]);
        assertFails(file, "not a Funnel HNSW index file");
    }

    @Test
    void corruptHeaderIsRejected() throws IOException {
        final Path file = saved();
        final byte[] bytes = Files.readAllBytes(file);
        bytes[16] ^= 1; // the dimension
        Files.write(file, bytes);
        assertFails(file, "header checksum mismatch");
    }

    @Test
    void corruptGraphIsRejected() throws IOException {
        final Path file = saved();
        final byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length - 5] ^= 0x40; // inside the links
        Files.write(file, bytes);
        assertFails(file, "graph checksum mismatch");
    }

    private Path saved() throws IOException {
        final Path file = dir.resolve("index.hnsw");
        try (HnswVectorIndex index = built(Quantization.NONE)) {
            index.save(file);
        }
        return file;
    }

    private static void assertFails(final Path file, final String expected) {
        final IllegalStateException e = assertThrows(IllegalStateException.class, () -> HnswVectorIndex.load(file));
        assertTrue(e.getMessage().contains(expected), "'" + e.getMessage() + "' should contain '" + expected + "'");
        assertTrue(e.getMessage().contains(file.toString()), "the message names the file: " + e.getMessage());
    }
}
