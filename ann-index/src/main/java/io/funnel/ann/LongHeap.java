package io.funnel.ann;

import java.util.Arrays;

/**
 * A growable binary min-heap of {@code long}s. Search queues store (score, node) packed by {@link TopK#pack} so one
 * primitive comparison orders them; a max-heap is this heap over the bitwise complement. Owned by one thread.
 */
final class LongHeap {
    private long[] heap;
    private int size;

    LongHeap(final int capacity) {
        heap = new long[Math.max(4, capacity)];
    }

    void clear() {
        size = 0;
    }

    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    long peek() {
        return heap[0];
    }

    void push(final long value) {
        if (size == heap.length) {
            heap = Arrays.copyOf(heap, size * 2);
        }
        int i = size++;
        final long[] h = heap;
        while (i > 0) {
            final int parent = (i - 1) >>> 1;
            final long p = h[parent];
            if (p <= value) {
                break;
            }
            h[i] = p;
            i = parent;
        }
        h[i] = value;
    }

    long pop() {
        final long[] h = heap;
        final long top = h[0];
        final long last = h[--size];
        final int n = size;
        int i = 0;
        final int half = n >>> 1;
        while (i < half) {
            int child = 2 * i + 1;
            long c = h[child];
            final int right = child + 1;
            if (right < n && h[right] < c) {
                child = right;
                c = h[right];
            }
            if (last <= c) {
                break;
            }
            h[i] = c;
            i = child;
        }
        h[i] = last;
        return top;
    }

    /** Replaces the minimum with {@code value} (which must be larger) in one sift. */
    void replaceTop(final long value) {
        final long[] h = heap;
        final int n = size;
        int i = 0;
        final int half = n >>> 1;
        while (i < half) {
            int child = 2 * i + 1;
            long c = h[child];
            final int right = child + 1;
            if (right < n && h[right] < c) {
                child = right;
                c = h[right];
            }
            if (value <= c) {
                break;
            }
            h[i] = c;
            i = child;
        }
        h[i] = value;
    }

    /** Raw access for draining without order: element {@code i < size()}. */
    long get(final int i) {
        return heap[i];
    }
}
