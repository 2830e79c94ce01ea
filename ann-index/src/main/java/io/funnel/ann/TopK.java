package io.funnel.ann;

/**
 * A bounded min-heap that keeps the {@code k} highest scores seen, with (score, ordinal) packed into one
 * {@code long} so the heap is a single primitive array. Owned by one thread; {@link #reset} reuses it.
 */
final class TopK {
    private long[] heap;
    private int size;
    private int k;

    TopK(final int capacity) {
        heap = new long[Math.max(1, capacity)];
    }

    void reset(final int k) {
        if (heap.length < k) {
            heap = new long[k];
        }
        this.k = k;
        size = 0;
    }

    /** Offers a candidate; keeps it if it beats the worst of the current k. */
    void offer(final float score, final int ordinal) {
        final long packed = pack(score, ordinal);
        if (size < k) {
            heap[size] = packed;
            siftUp(size++);
        } else if (k > 0 && packed > heap[0]) {
            heap[0] = packed;
            siftDown(0);
        }
    }

    int size() {
        return size;
    }

    /** Lowest score kept, or negative infinity while fewer than k are held. */
    float worst() {
        return size < k ? Float.NEGATIVE_INFINITY : score(heap[0]);
    }

    /** Drains the heap into {@code out}, best first, by an in-place heap sort (no allocation). */
    void drainTo(final SearchResults out) {
        final int n = size;
        // Moving the minimum to the end each round leaves the array sorted best (highest) first.
        for (int end = n - 1; end > 0; end--) {
            final long min = heap[0];
            heap[0] = heap[end];
            size = end;
            siftDown(0);
            heap[end] = min;
        }
        size = 0;
        out.reset(n);
        for (int i = 0; i < n; i++) {
            out.add(ordinal(heap[i]), score(heap[i]));
        }
    }

    /** Orders by score, then by lower ordinal first so ties are deterministic. */
    static long pack(final float score, final int ordinal) {
        int bits = Float.floatToRawIntBits(score);
        bits ^= (bits >> 31) & 0x7fffffff; // make the int order match the float order
        return ((long) bits << 32) | (~ordinal & 0xffffffffL);
    }

    static float score(final long packed) {
        int bits = (int) (packed >> 32);
        bits ^= (bits >> 31) & 0x7fffffff;
        return Float.intBitsToFloat(bits);
    }

    static int ordinal(final long packed) {
        return ~(int) packed;
    }

    private void siftUp(int i) {
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

    private void siftDown(int i) {
        final long v = heap[i];
        final int half = size >>> 1;
        while (i < half) {
            int child = 2 * i + 1;
            if (child + 1 < size && heap[child + 1] < heap[child]) {
                child++;
            }
            if (v <= heap[child]) {
                break;
            }
            heap[i] = heap[child];
            i = child;
        }
        heap[i] = v;
    }
}
