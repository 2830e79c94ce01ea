package io.funnel.ann;

import io.funnel.ffi.Memory;
import io.funnel.ffi.NativeResult;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * The on-disk format of {@link HnswVectorIndex}, little-endian, version {@value #VERSION}:
 *
 * <pre>
 * header (128 bytes): magic "FUNNLHNS", version, header size, settings, counts, entry, quantizer, seed,
 *                     total file length, CRC32C of the graph sections, CRC32C of the header
 * vectors   count * dimension float32        (64-byte aligned; memory-mapped on load, never copied)
 * codes     count * dimension int8           (only with INT8 quantization; mapped too)
 * links0    count * (2 maxDegree + 1) int32  (count, then links)
 * levels    count int8
 * ordinals  count int32
 * tombstones ceil(count / 64) int64
 * upper     for each node with level > 0, in node order: level * (maxDegree + 1) int32
 * </pre>
 *
 * The graph sections are checksummed; the vectors are not (a checksum would read every page of a large file and
 * defeat the point of mapping it).
 */
final class HnswIndexFile {
    static final long MAGIC = 0x534e484c4e4e5546L; // "FUNNLHNS" read as a little-endian long
    static final int VERSION = 1;
    static final int HEADER_BYTES = 128;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT =
            ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT_NATIVE = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfLong LONG_NATIVE = ValueLayout.JAVA_LONG_UNALIGNED;

    private HnswIndexFile() {}

    /** Offsets of every section for a given shape. */
    private record Layout(
            long vectors, long codes, long links0, long levels, long ordinals, long tombstones, long upper, long end) {
        static Layout of(final int count, final int dimension, final int maxDegree, final boolean codes,
                final long upperInts) {
            final long vectors = HEADER_BYTES;
            final long codesAt = align(vectors + (long) count * dimension * Float.BYTES);
            final long links0 = align(codesAt + (codes ? (long) count * dimension : 0));
            final long levels = align(links0 + 4L * count * (2L * maxDegree + 1));
            final long ordinals = align(levels + count);
            final long tombstones = align(ordinals + 4L * count);
            final long upper = align(tombstones + 8L * ((count + 63) >>> 6));
            final long end = upper + 4L * upperInts;
            return new Layout(vectors, codesAt, links0, levels, ordinals, tombstones, upper, end);
        }

        private static long align(final long offset) {
            return (offset + 63) & ~63L;
        }
    }

    static void write(final HnswVectorIndex index, final HnswGraph g, final Path file) throws IOException {
        requireLittleEndian();
        final int count = g.count;
        final int dim = g.dimension;
        final int maxDegree = g.maxDegree;
        long upperInts = 0;
        for (int i = 0; i < count; i++) {
            upperInts += (long) g.levels[i] * (maxDegree + 1);
        }
        final boolean hasCodes = g.codes != null;
        final Layout layout = Layout.of(count, dim, maxDegree, hasCodes, upperInts);
        final Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        final Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(
                        tmp,
                        StandardOpenOption.CREATE,
                        StandardOpenOption.TRUNCATE_EXISTING,
                        StandardOpenOption.READ,
                        StandardOpenOption.WRITE);
                Arena arena = Arena.ofConfined()) {
            final MemorySegment out = ch.map(FileChannel.MapMode.READ_WRITE, 0, layout.end(), arena);
            MemorySegment.copy(g.vectors, 0, out, layout.vectors(), (long) count * dim * Float.BYTES);
            if (hasCodes) {
                MemorySegment.copy(g.codes, 0, out, layout.codes(), (long) count * dim);
            }
            MemorySegment.copy(g.links0, 0, out, INT_NATIVE, layout.links0(), count * g.stride0);
            MemorySegment.copy(g.levels, 0, out, ValueLayout.JAVA_BYTE, layout.levels(), count);
            MemorySegment.copy(g.nodeOrdinal, 0, out, INT_NATIVE, layout.ordinals(), count);
            MemorySegment.copy(g.tombstones, 0, out, LONG_NATIVE, layout.tombstones(), (count + 63) >>> 6);
            long at = layout.upper();
            for (int i = 0; i < count; i++) {
                final int level = g.levels[i];
                if (level > 0) {
                    final int n = level * (maxDegree + 1);
                    MemorySegment.copy(g.upper[i], 0, out, INT_NATIVE, at, n);
                    at += 4L * n;
                }
            }
            final int graphCrc = crc(out, layout.links0(), layout.end());
            final ScalarQuantizer q = g.quantizer;
            out.set(LONG, 0, MAGIC);
            out.set(INT, 8, VERSION);
            out.set(INT, 12, HEADER_BYTES);
            out.set(INT, 16, dim);
            out.set(INT, 20, index.metric().ordinal());
            out.set(INT, 24, maxDegree);
            out.set(INT, 28, index.buildBeam());
            out.set(INT, 32, index.searchBeam());
            out.set(FLOAT, 36, index.alpha());
            out.set(INT, 40, hasCodes ? Quantization.INT8.ordinal() : Quantization.NONE.ordinal());
            out.set(INT, 44, count);
            out.set(INT, 48, g.tombstoneCount);
            out.set(LONG, 52, g.entry);
            out.set(FLOAT, 60, q != null ? q.centre : 0f);
            out.set(FLOAT, 64, q != null ? q.step : 0f);
            out.set(LONG, 68, index.seedForFile());
            out.set(LONG, 76, upperInts);
            out.set(LONG, 84, layout.end());
            out.set(INT, 92, graphCrc);
            out.set(INT, 96, crc(out, 0, 96));
            out.force();
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    static HnswVectorIndex read(final Path file) throws IOException {
        requireLittleEndian();
        final Arena arena = Arena.ofShared();
        boolean ok = false;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            final long size = ch.size();
            if (size < HEADER_BYTES) {
                throw new IllegalStateException(file + ": truncated, " + size + " bytes, shorter than the "
                        + HEADER_BYTES + "-byte header of an HNSW index file");
            }
            final MemorySegment in = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            // The index is about to be searched: ask the kernel to read it ahead. A refusal only costs page faults.
            // Transparent huge pages cut TLB misses on the random reads of a graph walk.
            for (final int hint : new int[] {Memory.MADV_WILLNEED, Memory.MADV_HUGEPAGE}) {
                final NativeResult advice = Memory.madvise(in, hint);
                if (advice.status() == NativeResult.Status.REFUSED) {
                    System.getLogger(HnswIndexFile.class.getName()).log(System.Logger.Level.WARNING,
                            file + ": " + advice.message());
                }
            }
            final long magic = in.get(LONG, 0);
            if (magic != MAGIC) {
                throw new IllegalStateException(file + ": not a Funnel HNSW index file (magic 0x"
                        + Long.toHexString(magic) + ", expected 0x" + Long.toHexString(MAGIC) + ")");
            }
            final int version = in.get(INT, 8);
            if (version != VERSION) {
                throw new IllegalStateException(file + ": index file format version " + version
                        + ", this build reads version " + VERSION + "; rebuild or re-save the index");
            }
            final int headerCrc = in.get(INT, 96);
            if (headerCrc != crc(in, 0, 96)) {
                throw new IllegalStateException(file + ": header checksum mismatch, the file is corrupt");
            }
            final int dim = in.get(INT, 16);
            final Metric metric = Metric.values()[checkedId(file, "metric", in.get(INT, 20), Metric.values().length)];
            final int maxDegree = in.get(INT, 24);
            final Quantization quantization = Quantization.values()[
                    checkedId(file, "quantization", in.get(INT, 40), Quantization.values().length)];
            final int count = in.get(INT, 44);
            final long upperInts = in.get(LONG, 76);
            final long end = in.get(LONG, 84);
            final Layout layout = Layout.of(count, dim, maxDegree, quantization == Quantization.INT8, upperInts);
            if (end != layout.end()) {
                throw new IllegalStateException(
                        file + ": header is inconsistent (length " + end + ", sections need " + layout.end() + ")");
            }
            if (size < end) {
                throw new IllegalStateException(
                        file + ": truncated, " + size + " bytes, the header says " + end + " bytes");
            }
            if (in.get(INT, 92) != crc(in, layout.links0(), end)) {
                throw new IllegalStateException(file + ": graph checksum mismatch, the file is corrupt");
            }
            final HnswVectorIndex.Builder settings = HnswVectorIndex.builder(dim, metric)
                    .maxDegree(maxDegree)
                    .buildBeam(in.get(INT, 28))
                    .searchBeam(in.get(INT, 32))
                    .alpha(in.get(FLOAT, 36))
                    .quantization(quantization)
                    .seed(in.get(LONG, 68))
                    .initialCapacity(Math.max(1, count));
            settings.validate();
            final int capacity = Math.max(1, count);
            final int stride0 = 2 * maxDegree + 1;
            // An empty index has nothing to map; give it room for one node so the first insert has a row.
            final MemorySegment vectors = count > 0
                    ? in.asSlice(layout.vectors(), (long) count * dim * Float.BYTES)
                    : Arena.ofAuto().allocate((long) dim * Float.BYTES, 64);
            MemorySegment codes = null;
            if (quantization == Quantization.INT8) {
                codes = count > 0 ? in.asSlice(layout.codes(), (long) count * dim) : Arena.ofAuto().allocate(dim, 64);
            }
            final int[] links0 = new int[capacity * stride0];
            MemorySegment.copy(in, INT_NATIVE, layout.links0(), links0, 0, count * stride0);
            final byte[] levels = new byte[capacity];
            MemorySegment.copy(in, ValueLayout.JAVA_BYTE, layout.levels(), levels, 0, count);
            final int[] ordinals = new int[capacity];
            MemorySegment.copy(in, INT_NATIVE, layout.ordinals(), ordinals, 0, count);
            final long[] tombstones = new long[(capacity + 63) >>> 6];
            MemorySegment.copy(in, LONG_NATIVE, layout.tombstones(), tombstones, 0, (count + 63) >>> 6);
            final int[][] upper = new int[capacity][];
            long at = layout.upper();
            for (int i = 0; i < count; i++) {
                final int level = levels[i];
                if (level > 0) {
                    final int n = level * (maxDegree + 1);
                    upper[i] = new int[n];
                    MemorySegment.copy(in, INT_NATIVE, at, upper[i], 0, n);
                    at += 4L * n;
                }
            }
            ScalarQuantizer quantizer = null;
            if (quantization == Quantization.INT8 && count > 0) {
                quantizer = new ScalarQuantizer(in.get(FLOAT, 60), in.get(FLOAT, 64));
            }
            final HnswGraph g = new HnswGraph(
                    dim, maxDegree, capacity, vectors, codes, quantizer, links0, upper, levels, ordinals, tombstones,
                    arena);
            g.count = count;
            g.tombstoneCount = in.get(INT, 48);
            g.entry = in.get(LONG, 52);
            final HnswVectorIndex index = HnswVectorIndex.fromFile(settings, g);
            ok = true;
            return index;
        } finally {
            if (!ok) {
                arena.close();
            }
        }
    }

    private static int checkedId(final Path file, final String what, final int id, final int count) {
        if (id < 0 || id >= count) {
            throw new IllegalStateException(file + ": unknown " + what + " id " + id + " in the header");
        }
        return id;
    }

    private static int crc(final MemorySegment segment, final long from, final long to) {
        final CRC32C crc = new CRC32C();
        for (long at = from; at < to; ) {
            final long n = Math.min(to - at, 1L << 30);
            crc.update(segment.asSlice(at, n).asByteBuffer());
            at += n;
        }
        return (int) crc.getValue();
    }

    private static void requireLittleEndian() {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new UnsupportedOperationException("HNSW index files are little-endian; this CPU is big-endian");
        }
    }
}
