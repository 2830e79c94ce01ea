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
    private final int extraFloatWidth;
    private final int extraLongWidth;
    private float[] ctr;
    private float[] trending;
    private float[] extraFloats;
    private long[] extraLongs;
    private int[] seqScratch;
    private int touchSink;

    /** Creates columns for up to {@code capacity} items with embeddings of {@code dimension} components. */
    public ItemColumns(final int dimension, final int capacity) {
        this(dimension, capacity, 0, 0);
    }

    /**
     * Creates columns that also hold a schema's extra features: {@code extraFloatWidth} float components and
     * {@code extraLongWidth} integer components per row (see {@link RowLayout#extraColumn(String)}).
     */
    public ItemColumns(final int dimension, final int capacity, final int extraFloatWidth, final int extraLongWidth) {
        if (dimension <= 0 || extraFloatWidth < 0 || extraLongWidth < 0) {
            throw new IllegalArgumentException("dimension must be positive and extra widths non-negative, got "
                    + dimension + ", " + extraFloatWidth + ", " + extraLongWidth);
        }
        this.dimension = dimension;
        this.extraFloatWidth = extraFloatWidth;
        this.extraLongWidth = extraLongWidth;
        allocate(Math.max(1, capacity));
    }

    /** Creates columns shaped for the item rows of {@code schema}. */
    public static ItemColumns forSchema(final FeatureSchema schema, final int capacity) {
        final RowLayout l = schema.itemLayout();
        return new ItemColumns(schema.dimension(), capacity, l.extraFloatWidth(), l.extraLongWidth());
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
        ctr = new float[cap];
        trending = new float[cap];
        extraFloats = new float[cap * extraFloatWidth];
        extraLongs = new long[cap * extraLongWidth];
        seqScratch = new int[cap];
    }

    /** Per-batch scratch for store implementations (row sequence words). */
    int[] seqScratch() {
        return seqScratch;
    }

    /** Keeps the cache-line touches of a batched read from being optimised away. */
    void touchSink(final int v) {
        touchSink += v;
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

    /**
     * Smoothed click-through rate of each row from the store's decayed counters, {@code (clicks + 1) / (impressions +
     * 50)} (a prior of 2 % worth 50 impressions); stores without counters leave 0.
     */
    public float[] ctr() {
        return ctr;
    }

    /** Decayed short-window interaction weight of each row (the trending signal); 0 where not tracked. */
    public float[] trending() {
        return trending;
    }

    /** Float components of the extra features per row ({@link #extraFloatWidth()} wide, row-major). */
    public float[] extraFloats() {
        return extraFloats;
    }

    /** Integer components of the extra features per row ({@link #extraLongWidth()} wide, row-major). */
    public long[] extraLongs() {
        return extraLongs;
    }

    /** Components per row of {@link #extraFloats()}. */
    public int extraFloatWidth() {
        return extraFloatWidth;
    }

    /** Components per row of {@link #extraLongs()}. */
    public int extraLongWidth() {
        return extraLongWidth;
    }
}
