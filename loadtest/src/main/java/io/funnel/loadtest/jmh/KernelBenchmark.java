package io.funnel.loadtest.jmh;

import io.funnel.ann.VectorOps;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
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
 * Distance kernels as the index uses them: the query against float vectors in an off-heap segment, through
 * {@link VectorOps#provider()}, so the kernel under test is whichever {@code -Dfunnel.vectorOps} selects
 * ({@code panama}, {@code scalar} or {@code native}; the forks inherit the launching JVM's flags). Two
 * residencies: {@code cache} (32 KiB of vectors, read in order) and {@code memory} (512 MiB, read with a large
 * prime stride so each vector is a fresh cache miss).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class KernelBenchmark {
    @Param({"64", "128", "768"})
    int dim;

    @Param({"cache", "memory"})
    String residency;

    private final VectorOps ops = VectorOps.provider();
    private Arena arena;
    private MemorySegment data;
    private float[] query;
    private int vectors;
    private int next;
    private int stride;

    @Setup(Level.Trial)
    public void setUp() {
        final long bytes = "cache".equals(residency) ? 32L << 10 : 512L << 20;
        vectors = (int) Math.max(8, bytes / (4L * dim));
        stride = "cache".equals(residency) ? 1 : 7919;
        arena = Arena.ofShared();
        data = arena.allocate(4L * dim * vectors, 64);
        final SplittableRandom random = new SplittableRandom(dim);
        for (long i = 0; i < (long) dim * vectors; i++) {
            data.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) random.nextGaussian());
        }
        query = new float[dim];
        for (int i = 0; i < dim; i++) {
            query[i] = (float) random.nextGaussian();
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public float dot() {
        final int v = next;
        next = (next + stride) % vectors;
        return ops.dotProduct(query, data, 4L * dim * v, dim);
    }

    @Benchmark
    public float squaredL2() {
        final int v = next;
        next = (next + stride) % vectors;
        return ops.squaredDistance(query, data, 4L * dim * v, dim);
    }
}
