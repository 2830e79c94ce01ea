package io.funnel.ann;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Readers and writers for the TEXMEX {@code .fvecs} / {@code .ivecs} formats used by SIFT, GIST and the ANN
 * benchmarks: each vector is a little-endian int32 dimension followed by that many float32 (or int32) values.
 *
 * <p>Threading: stateless; every call opens, reads and closes its own file.
 */
public final class VectorFiles {
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT =
            ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private VectorFiles() {}

    /** Reads every vector of an {@code .fvecs} file. */
    public static float[][] readFvecs(final Path file) throws IOException {
        return readFvecs(file, Integer.MAX_VALUE);
    }

    /**
     * Reads the first {@code limit} vectors of an {@code .fvecs} file.
     *
     * @throws IllegalStateException naming the file and the offset if a record is truncated or its dimension is not
     *     positive or differs from the first record's
     */
    public static float[][] readFvecs(final Path file, final int limit) throws IOException {
        try (Arena arena = Arena.ofConfined();
                FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            final MemorySegment in = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            final int dim = firstDimension(file, in);
            final long record = 4L + 4L * dim;
            final int n = (int) Math.min(limit, checkedCount(file, in.byteSize(), record));
            final float[][] out = new float[n][dim];
            for (int i = 0; i < n; i++) {
                final long at = i * record;
                checkDimension(file, in, at, dim);
                MemorySegment.copy(in, FLOAT, at + 4, out[i], 0, dim);
            }
            return out;
        }
    }

    /** Reads every vector of an {@code .ivecs} file (e.g. ground-truth neighbour ids). */
    public static int[][] readIvecs(final Path file) throws IOException {
        try (Arena arena = Arena.ofConfined();
                FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            final MemorySegment in = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            final int dim = firstDimension(file, in);
            final long record = 4L + 4L * dim;
            final int n = (int) checkedCount(file, in.byteSize(), record);
            final int[][] out = new int[n][dim];
            for (int i = 0; i < n; i++) {
                final long at = i * record;
                checkDimension(file, in, at, dim);
                MemorySegment.copy(in, INT, at + 4, out[i], 0, dim);
            }
            return out;
        }
    }

    /** Writes {@code vectors} (all of one dimension) as an {@code .fvecs} file. */
    public static void writeFvecs(final Path file, final float[][] vectors) throws IOException {
        final int dim = vectors.length == 0 ? 0 : vectors[0].length;
        final long record = 4L + 4L * dim;
        try (Arena arena = Arena.ofConfined();
                FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                        StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            final MemorySegment out = ch.map(FileChannel.MapMode.READ_WRITE, 0, record * vectors.length, arena);
            for (int i = 0; i < vectors.length; i++) {
                if (vectors[i].length != dim) {
                    throw new IllegalArgumentException(
                            "vector " + i + " has " + vectors[i].length + " dimensions, the first has " + dim);
                }
                out.set(INT, i * record, dim);
                MemorySegment.copy(vectors[i], 0, out, FLOAT, i * record + 4, dim);
            }
        }
    }

    private static int firstDimension(final Path file, final MemorySegment in) {
        if (in.byteSize() < 4) {
            throw new IllegalStateException(file + ": empty or truncated vector file (" + in.byteSize() + " bytes)");
        }
        final int dim = in.get(INT, 0);
        if (dim <= 0 || dim > 1 << 20) {
            throw new IllegalStateException(file + ": first record has dimension " + dim + ", expected 1..2^20");
        }
        return dim;
    }

    private static long checkedCount(final Path file, final long bytes, final long record) {
        if (bytes % record != 0) {
            throw new IllegalStateException(file + ": " + bytes + " bytes is not a whole number of " + record
                    + "-byte records (truncated?)");
        }
        return bytes / record;
    }

    private static void checkDimension(final Path file, final MemorySegment in, final long at, final int dim) {
        final int d = in.get(INT, at);
        if (d != dim) {
            throw new IllegalStateException(
                    file + ": record at byte " + at + " has dimension " + d + ", the first record has " + dim);
        }
    }
}
