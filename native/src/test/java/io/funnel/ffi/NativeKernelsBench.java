package io.funnel.ffi;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * A JMH-free timing loop (a command, not a test): nanoseconds per float32 dot product for the C kernel (native and heap
 * segments), a plain Java loop and the Vector API, at dims 64, 128 and 768. Each round scores one query against 1024
 * stored vectors; the median of the rounds is printed. Run it as docs/benchmarks/native.md says.
 */
public final class NativeKernelsBench {
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int VECTORS = 1024;
    private static final int ROUNDS = 15;
    private static final long ROUND_NS = 200_000_000L;

    private static float sink;

    private NativeKernelsBench() {}

    public static void main(final String[] args) {
        System.out.printf(Locale.ROOT, "C kernels: %s; Vector API species: %s; availableProcessors=%d%n",
                NativeKernels.isAvailable() ? NativeKernels.librarySource() : NativeKernels.unavailableReason(),
                SPECIES, Runtime.getRuntime().availableProcessors());
        System.out.printf(Locale.ROOT, "%-6s %14s %14s %14s %14s%n", "dim", "C native ns", "C heap ns", "Java loop ns",
                "Vector API ns");
        for (final int dim : new int[] {64, 128, 768}) {
            run(dim);
        }
        if (sink == 42f) {
            System.out.println();
        }
    }

    private static void run(final int dim) {
        final SplittableRandom random = new SplittableRandom(dim);
        final float[] query = new float[dim];
        final float[] data = new float[VECTORS * dim];
        for (int i = 0; i < query.length; i++) {
            query[i] = (float) random.nextDouble();
        }
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) random.nextDouble();
        }
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment nativeQuery = arena.allocate((long) dim * Float.BYTES, 64);
            final MemorySegment nativeData = arena.allocate((long) data.length * Float.BYTES, 64);
            MemorySegment.copy(query, 0, nativeQuery, ValueLayout.JAVA_FLOAT, 0, dim);
            MemorySegment.copy(data, 0, nativeData, ValueLayout.JAVA_FLOAT, 0, data.length);
            final MemorySegment[] nativeRows = new MemorySegment[VECTORS];
            final MemorySegment[] heapRows = new MemorySegment[VECTORS];
            final MemorySegment heapData = MemorySegment.ofArray(data);
            for (int v = 0; v < VECTORS; v++) {
                nativeRows[v] = nativeData.asSlice((long) v * dim * Float.BYTES, (long) dim * Float.BYTES);
                heapRows[v] = heapData.asSlice((long) v * dim * Float.BYTES, (long) dim * Float.BYTES);
            }
            final MemorySegment heapQuery = MemorySegment.ofArray(query);
            final double cNative = time(() -> {
                float s = 0;
                for (int v = 0; v < VECTORS; v++) {
                    s += NativeKernels.dot(nativeQuery, nativeRows[v], dim);
                }
                return s;
            });
            final double cHeap = time(() -> {
                float s = 0;
                for (int v = 0; v < VECTORS; v++) {
                    s += NativeKernels.dot(heapQuery, heapRows[v], dim);
                }
                return s;
            });
            final double scalar = time(() -> {
                float s = 0;
                for (int v = 0; v < VECTORS; v++) {
                    s += scalarDot(query, data, v * dim, dim);
                }
                return s;
            });
            final double panama = time(() -> {
                float s = 0;
                for (int v = 0; v < VECTORS; v++) {
                    s += vectorDot(query, data, v * dim, dim);
                }
                return s;
            });
            System.out.printf(Locale.ROOT, "%-6d %14.1f %14.1f %14.1f %14.1f%n", dim, cNative, cHeap, scalar, panama);
        }
    }

    /** Median nanoseconds per dot product over {@link #ROUNDS} rounds, after as long again of warm-up. */
    private static double time(final Kernel kernel) {
        final double[] perDot = new double[ROUNDS];
        for (int round = -ROUNDS; round < ROUNDS; round++) {
            long calls = 0;
            final long start = System.nanoTime();
            long now;
            do {
                sink += kernel.run();
                calls += VECTORS;
                now = System.nanoTime();
            } while (now - start < ROUND_NS);
            if (round >= 0) {
                perDot[round] = (double) (now - start) / calls;
            }
        }
        Arrays.sort(perDot);
        return perDot[ROUNDS / 2];
    }

    @FunctionalInterface
    private interface Kernel {
        float run();
    }

    private static float scalarDot(final float[] q, final float[] data, final int offset, final int dim) {
        float sum = 0f;
        for (int i = 0; i < dim; i++) {
            sum += q[i] * data[offset + i];
        }
        return sum;
    }

    private static float vectorDot(final float[] q, final float[] data, final int offset, final int dim) {
        FloatVector acc = FloatVector.zero(SPECIES);
        int i = 0;
        for (final int bound = SPECIES.loopBound(dim); i < bound; i += SPECIES.length()) {
            acc = FloatVector.fromArray(SPECIES, q, i).fma(FloatVector.fromArray(SPECIES, data, offset + i), acc);
        }
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (; i < dim; i++) {
            sum += q[i] * data[offset + i];
        }
        return sum;
    }
}
