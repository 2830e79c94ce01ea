package io.funnel.model;

import io.funnel.model.internal.DotKernel;

/**
 * The light pre-rank model: for each candidate, {@code score = dotWeight * (user . item) + w . x + bias}, where
 * {@code user . item} is the two-tower (or MF) affinity and {@code x} the candidate's dense features. SIMD dot
 * products through one {@link DotKernel} chosen at start-up; no allocation per call, so it runs inline on the event
 * loop (a few tens of nanoseconds per candidate).
 *
 * <p>{@link #topK} keeps the best {@code k} candidates for the TensorFlow ranker, also without allocating.
 *
 * <p>Threading: immutable; safe for concurrent use.
 */
public final class DotProductPreRanker {
    private static final DotKernel KERNEL = DotKernel.provider();

    private final int dimension;
    private final float[] featureWeights;
    private final float bias;
    private final float dotWeight;

    /**
     * @param dimension length of the user and item vectors
     * @param featureWeights one weight per dense feature (may be empty)
     * @param bias added to every score
     * @param dotWeight weight of the user-item dot product
     */
    public DotProductPreRanker(final int dimension, final float[] featureWeights, final float bias,
            final float dotWeight) {
        if (dimension < 0) {
            throw new IllegalArgumentException("dimension must be >= 0, got " + dimension);
        }
        this.dimension = dimension;
        this.featureWeights = featureWeights.clone();
        this.bias = bias;
        this.dotWeight = dotWeight;
    }

    /** Embedding dimension. */
    public int dimension() {
        return dimension;
    }

    /** Dense features per candidate. */
    public int featureCount() {
        return featureWeights.length;
    }

    /** Name of the dot-product kernel in use ({@code simd} or {@code scalar}). */
    public static String kernel() {
        return KERNEL.name();
    }

    /**
     * Scores {@code rows} candidates.
     *
     * @param user the user vector, {@code dimension} values
     * @param items row-major item vectors, {@code rows * dimension} values
     * @param features row-major dense features, {@code rows * featureCount()} values (ignored when there are none)
     * @param out one score per candidate
     */
    public void score(final float[] user, final float[] items, final float[] features, final int rows,
            final float[] out) {
        final DotKernel k = KERNEL;
        final int d = dimension;
        final float[] w = featureWeights;
        final int f = w.length;
        for (int r = 0; r < rows; r++) {
            float s = bias;
            if (d > 0) {
                s += dotWeight * k.dot(user, 0, items, r * d, d);
            }
            if (f > 0) {
                s += k.dot(w, 0, features, r * f, f);
            }
            out[r] = s;
        }
    }

    /**
     * Puts the indices of the {@code k} highest of {@code scores[0..rows)} into {@code outIndices}, best first
     * (ties: lower index first). Uses {@code scratch} (at least {@code k} longs) as a min-heap.
     *
     * @return the number of indices written, {@code min(k, rows)}
     */
    public static int topK(final float[] scores, final int rows, final int k, final int[] outIndices,
            final long[] scratch) {
        final int n = Math.min(k, rows);
        if (n <= 0) {
            return 0;
        }
        // Pack (score, index) into one long that orders by score, then by lower index: a min-heap of the best n.
        int size = 0;
        for (int i = 0; i < rows; i++) {
            final long key = pack(scores[i], i);
            if (size < n) {
                scratch[size] = key;
                siftUp(scratch, size++);
            } else if (key > scratch[0]) {
                scratch[0] = key;
                siftDown(scratch, size);
            }
        }
        for (int i = size - 1; i >= 0; i--) {
            outIndices[i] = unpackIndex(scratch[0]);
            scratch[0] = scratch[i];
            siftDown(scratch, i);
        }
        return n;
    }

    static long pack(final float score, final int index) {
        final int bits = Float.floatToIntBits(score);
        final int ordered = bits < 0 ? ~bits : bits | Integer.MIN_VALUE; // unsigned order = float order
        // Higher is better; among equal scores the lower index must rank higher, so store ~index.
        return ((long) (ordered ^ Integer.MIN_VALUE) << 32) | (~index & 0xffffffffL);
    }

    static int unpackIndex(final long key) {
        return ~(int) key;
    }

    private static void siftUp(final long[] heap, int i) {
        final long v = heap[i];
        while (i > 0) {
            final int parent = (i - 1) >>> 1;
            if (heap[parent] <= v) {
                break;
            }
            heap[i] = heap[parent];
            i = parent;
        }
        heap[i] = v;
    }

    private static void siftDown(final long[] heap, final int size) {
        if (size == 0) {
            return;
        }
        final long v = heap[0];
        int i = 0;
        while (true) {
            int child = 2 * i + 1;
            if (child >= size) {
                break;
            }
            if (child + 1 < size && heap[child + 1] < heap[child]) {
                child++;
            }
            if (heap[child] >= v) {
                break;
            }
            heap[i] = heap[child];
            i = child;
        }
        heap[i] = v;
    }
}
