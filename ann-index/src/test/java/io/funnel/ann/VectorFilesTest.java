package io.funnel.ann;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VectorFilesTest {
    @TempDir
    Path dir;

    @Test
    void fvecsRoundTripAndLimit() throws IOException {
        final float[][] data = TestVectors.clustered(50, 7, 3);
        final Path file = dir.resolve("v.fvecs");
        VectorFiles.writeFvecs(file, data);
        assertEquals(50L * (4 + 7 * 4), Files.size(file));
        final float[][] back = VectorFiles.readFvecs(file);
        assertEquals(50, back.length);
        for (int i = 0; i < data.length; i++) {
            assertArrayEquals(data[i], back[i]);
        }
        assertEquals(5, VectorFiles.readFvecs(file, 5).length);
    }

    @Test
    void truncatedFileIsRejected() throws IOException {
        final Path file = dir.resolve("t.fvecs");
        VectorFiles.writeFvecs(file, TestVectors.clustered(3, 4, 3));
        final byte[] bytes = Files.readAllBytes(file);
        Files.write(file, Arrays.copyOf(bytes, bytes.length - 2));
        final IllegalStateException e = assertThrows(IllegalStateException.class, () -> VectorFiles.readFvecs(file));
        assertTrue(e.getMessage().contains("not a whole number of 20-byte records"), e.getMessage());
    }

    @Test
    void readsSiftGroundTruthWhenPresent() throws IOException {
        final Path sift = SharedData.sift10k();
        org.junit.jupiter.api.Assumptions.assumeTrue(sift != null, "SIFT10K not found under -Dfunnel.shared.data");
        final int[][] truth = VectorFiles.readIvecs(sift.resolve("siftsmall_groundtruth.ivecs"));
        assertEquals(100, truth.length);
        assertEquals(100, truth[0].length);
        assertEquals(128, VectorFiles.readFvecs(sift.resolve("siftsmall_query.fvecs"))[0].length);
    }
}
