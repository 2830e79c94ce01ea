package io.funnel.features;

/**
 * Columnar scratch for a batch of item rows: position {@code i} of every column belongs to the same item. The
 * pre-ranker and the ranker read the arrays directly. Owned by one thread; grows on demand and is then reused.
 */
public final class ItemColumns {
    private final int dimension;
    private int capacity;
    private int count;
    private int[] category;
    private boolean[] inStock;
    private long[] createdAtMs;
    private float[] interactions;
    private float[] embeddings;

    /** Creates columns for up to {@code capacity} items with embeddings of {@code dimension} components. */
    public ItemColumns(final int dimension, final int capacity) {
        this.dimension = dimension;
        allocate(Math.max(1, capacity));
    }

    /** Prepares the columns for {@code n} rows, growing if needed. */
    public void reset(final int n) {
        if (n > capacity) {
            allocate(Math.max(n, capacity * 2));
        }
        count = n;
    }

    private void allocate(final int cap) {
        capacity = cap;
        category = new int[cap];
        inStock = new boolean[cap];
        createdAtMs = new long[cap];
        interactions = new float[cap];
        embeddings = new float[cap * dimension];
    }

    /** Number of rows in the batch. */
    public int count() {
        return count;
    }

    /** Embedding dimension. */
    public int dimension() {
        return dimension;
    }

    /** Category id of each row. */
    public int[] category() {
        return category;
    }

    /** Stock flag of each row. */
    public boolean[] inStock() {
        return inStock;
    }

    /** When each item entered the catalog, epoch milliseconds. */
    public long[] createdAtMs() {
        return createdAtMs;
    }

    /** Total interaction weight of each item. */
    public float[] interactions() {
        return interactions;
    }

    /** Row-major embeddings: row {@code i} starts at {@code i * dimension()}. */
    public float[] embeddings() {
        return embeddings;
    }
}
