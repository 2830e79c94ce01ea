package io.funnel.ann;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * One generation of an {@link HnswVectorIndex}: vectors, codes, links and node tables sized for {@link #capacity}
 * nodes. The index swaps in a new generation (a grown copy, or a compacted rebuild) through one volatile field, so a
 * search that read the field works on a consistent set of arrays for its whole run.
 *
 * <p>Layout: node {@code n}'s float vector is at byte {@code n * rowBytes} of {@link #vectors}; its level-0 links
 * are {@code links0[n * stride0]} (the count) followed by up to {@link #maxDegree0} node ids; its links on level
 * {@code l >= 1} are in {@code upper[n]} from {@code (l - 1) * (maxDegree + 1)}, count first.
 *
 * <p>Threading: written by the index's writer (or its build threads, one lock stripe per node), read without locks
 * by searches. Ints are written atomically, so a search racing a link update sees valid node ids.
 */
final class HnswGraph {
    static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;

    final int dimension;
    final int maxDegree;
    final int maxDegree0;
    final int stride0;
    final int capacity;
    final long rowBytes;
    final MemorySegment vectors;
    /** int8 codes, {@code dimension} bytes per node, or {@code null} without quantization. */
    final MemorySegment codes;
    /** Set by the writer before the first code is written (fitted on the first batch); fixed afterwards. */
    ScalarQuantizer quantizer;
    final int[] links0;
    final int[][] upper;
    final byte[] levels;
    final int[] nodeOrdinal;
    final long[] tombstones;
    /** Arena that owns a file mapping, closed with the index; {@code null} for GC-managed memory. */
    final Arena fileArena;

    /** Nodes published to searches; node ids are {@code 0..count-1}. */
    volatile int count;
    /** Entry point packed as {@code (level << 32) | node}, or -1 while empty. */
    volatile long entry = -1L;
    volatile int tombstoneCount;

    HnswGraph(
            final int dimension,
            final int maxDegree,
            final int capacity,
            final boolean quantized,
            final ScalarQuantizer quantizer) {
        this(
                dimension,
                maxDegree,
                capacity,
                Arena.ofAuto().allocate((long) capacity * dimension * Float.BYTES, 64),
                quantized ? Arena.ofAuto().allocate((long) capacity * dimension, 64) : null,
                quantizer,
                new int[capacity * (2 * maxDegree + 1)],
                new int[capacity][],
                new byte[capacity],
                new int[capacity],
                new long[(capacity + 63) >>> 6],
                null);
    }

    HnswGraph(
            final int dimension,
            final int maxDegree,
            final int capacity,
            final MemorySegment vectors,
            final MemorySegment codes,
            final ScalarQuantizer quantizer,
            final int[] links0,
            final int[][] upper,
            final byte[] levels,
            final int[] nodeOrdinal,
            final long[] tombstones,
            final Arena fileArena) {
        this.dimension = dimension;
        this.maxDegree = maxDegree;
        this.maxDegree0 = 2 * maxDegree;
        this.stride0 = maxDegree0 + 1;
        this.capacity = capacity;
        this.rowBytes = (long) dimension * Float.BYTES;
        this.vectors = vectors;
        this.codes = codes;
        this.quantizer = quantizer;
        this.links0 = links0;
        this.upper = upper;
        this.levels = levels;
        this.nodeOrdinal = nodeOrdinal;
        this.tombstones = tombstones;
        this.fileArena = fileArena;
    }

    /** A copy with room for {@code newCapacity} nodes, in GC-managed memory. Called by the writer only. */
    HnswGraph grow(final int newCapacity) {
        final MemorySegment v = Arena.ofAuto().allocate((long) newCapacity * rowBytes, 64);
        final int n = count;
        MemorySegment.copy(vectors, 0, v, 0, (long) n * rowBytes);
        MemorySegment c = null;
        if (codes != null) {
            c = Arena.ofAuto().allocate((long) newCapacity * dimension, 64);
            MemorySegment.copy(codes, 0, c, 0, (long) n * dimension);
        }
        // Deep copy: the old generation's upper lists must never see ids beyond its capacity, which searches
        // still working on it would follow.
        final int[][] up = new int[newCapacity][];
        for (int i = 0; i < n; i++) {
            if (upper[i] != null) {
                up[i] = upper[i].clone();
            }
        }
        final HnswGraph g = new HnswGraph(
                dimension,
                maxDegree,
                newCapacity,
                v,
                c,
                quantizer,
                Arrays.copyOf(links0, newCapacity * stride0),
                up,
                Arrays.copyOf(levels, newCapacity),
                Arrays.copyOf(nodeOrdinal, newCapacity),
                Arrays.copyOf(tombstones, (newCapacity + 63) >>> 6),
                null);
        g.count = n;
        g.entry = entry;
        g.tombstoneCount = tombstoneCount;
        return g;
    }

    boolean isDeleted(final int node) {
        return (tombstones[node >>> 6] & (1L << node)) != 0;
    }

    void markDeleted(final int node) {
        tombstones[node >>> 6] |= 1L << node;
        tombstoneCount++;
    }

    int level(final int node) {
        return levels[node];
    }

    /** Copies node's float vector into {@code out}. */
    void readVector(final int node, final float[] out) {
        MemorySegment.copy(vectors, FLOAT, node * rowBytes, out, 0, dimension);
    }

    static int entryNode(final long entry) {
        return (int) entry;
    }

    static int entryLevel(final long entry) {
        return (int) (entry >>> 32);
    }

    static long packEntry(final int level, final int node) {
        return ((long) level << 32) | (node & 0xffffffffL);
    }
}
