package io.funnel.ann;

import java.util.Arrays;

/**
 * An exact index: every search scans every live vector. It is the reference that approximate indexes are measured
 * against and the right choice for small catalogs (a few tens of thousands of items) or very selective filters.
 *
 * <p>Threading: one writer, many readers (see {@link VectorIndex}). Writes are published through a volatile
 * version counter that every search reads first.
 */
public final class FlatVectorIndex implements VectorIndex {
    private static final VectorOps OPS = VectorOps.provider();
    private final int dimension;
    private final Metric metric;
    private float[] vectors;
    private boolean[] live;
    private int size;
    private volatile int version;
    private final ThreadLocal<Scratch> scratch;

    /** Creates an empty index for vectors of {@code dimension} components. */
    public FlatVectorIndex(final int dimension, final Metric metric, final int expectedSize) {
        if (dimension <= 0) {
            throw new IllegalArgumentException("dimension must be positive, got " + dimension);
        }
        this.dimension = dimension;
        this.metric = metric;
        final int capacity = Math.max(16, expectedSize);
        this.vectors = new float[capacity * dimension];
        this.live = new boolean[capacity];
        this.scratch = ThreadLocal.withInitial(() -> new Scratch(dimension));
    }

    @Override
    public int dimension() {
        return dimension;
    }

    @Override
    public Metric metric() {
        return metric;
    }

    @Override
    public int size() {
        final int ignored = version;
        return size;
    }

    @Override
    public void add(final int ordinal, final float[] vector) {
        if (ordinal < 0) {
            throw new IllegalArgumentException("ordinal must be >= 0, got " + ordinal);
        }
        VectorChecks.requireValid(vector, dimension, "vector for ordinal " + ordinal);
        if (ordinal >= live.length) {
            final int capacity = Math.max(ordinal + 1, live.length * 2);
            // Grow into fresh arrays, then swap: a concurrent reader keeps scanning the old ones.
            final float[] grownVectors = Arrays.copyOf(vectors, capacity * dimension);
            final boolean[] grownLive = Arrays.copyOf(live, capacity);
            vectors = grownVectors;
            live = grownLive;
        }
        final float[] copy = metric == Metric.COSINE ? normalised(vector) : vector;
        System.arraycopy(copy, 0, vectors, ordinal * dimension, dimension);
        if (!live[ordinal]) {
            live[ordinal] = true;
            size++;
        }
        version++;
    }

    @Override
    public boolean remove(final int ordinal) {
        if (ordinal < 0 || ordinal >= live.length || !live[ordinal]) {
            return false;
        }
        live[ordinal] = false;
        size--;
        version++;
        return true;
    }

    @Override
    public int search(final float[] query, final int k, final OrdinalFilter filter, final SearchResults out) {
        final int ignored = version; // acquire: see every write published before it
        VectorChecks.requireValid(query, dimension, "query");
        if (k <= 0) {
            throw new IllegalArgumentException("k must be positive, got " + k);
        }
        final Scratch s = scratch.get();
        final float[] q = metric == Metric.COSINE ? s.normalise(query) : query;
        final float[] data = vectors;
        final boolean[] alive = live;
        final int n = Math.min(alive.length, data.length / dimension);
        final TopK top = s.top;
        top.reset(k);
        for (int ord = 0; ord < n; ord++) {
            if (!alive[ord] || !filter.test(ord)) {
                continue;
            }
            top.offer(score(q, data, ord * dimension), ord);
        }
        top.drainTo(out);
        return out.count();
    }

    private float score(final float[] q, final float[] data, final int offset) {
        return metric == Metric.L2
                ? -OPS.squaredDistance(q, 0, data, offset, dimension)
                : OPS.dotProduct(q, 0, data, offset, dimension);
    }

    private static float[] normalised(final float[] v) {
        final float[] out = v.clone();
        normaliseInPlace(out);
        return out;
    }

    static void normaliseInPlace(final float[] v) {
        double norm = 0;
        for (final float x : v) {
            norm += (double) x * x;
        }
        if (norm > 0) {
            final float inv = (float) (1.0 / Math.sqrt(norm));
            for (int i = 0; i < v.length; i++) {
                v[i] *= inv;
            }
        }
    }

    /** Per-thread search state, reused across searches. */
    private static final class Scratch {
        final TopK top = new TopK(64);
        final float[] query;

        Scratch(final int dimension) {
            query = new float[dimension];
        }

        float[] normalise(final float[] q) {
            System.arraycopy(q, 0, query, 0, q.length);
            normaliseInPlace(query);
            return query;
        }
    }
}
