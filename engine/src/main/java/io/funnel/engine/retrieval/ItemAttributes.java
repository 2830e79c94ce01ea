package io.funnel.engine.retrieval;

import io.funnel.ann.OrdinalFilter;

/**
 * The per-item attributes that filters need before any feature row is read: category and stock, in dense arrays
 * by ordinal (like a search engine's attribute vectors).
 *
 * <p>Threading: one writer ({@link #setInStock}); readers on any thread (a boolean read is atomic, a briefly stale
 * stock flag is acceptable).
 */
public final class ItemAttributes {
    private final int[] category;
    private final boolean[] inStock;
    private final int[] creator;
    private final long[] createdAtMs;

    /**
     * @param creator creator of each item, {@code -1} when unknown
     * @param createdAtMs when each item entered the catalog, epoch ms
     */
    public ItemAttributes(final int[] category, final boolean[] inStock, final int[] creator,
            final long[] createdAtMs) {
        if (category.length != inStock.length || category.length != creator.length
                || category.length != createdAtMs.length) {
            throw new IllegalArgumentException("attribute arrays differ in length");
        }
        this.category = category;
        this.inStock = inStock;
        this.creator = creator;
        this.createdAtMs = createdAtMs;
    }

    /** Creator of the item, {@code -1} when unknown. */
    public int creator(final int ordinal) {
        return creator[ordinal];
    }

    /** When the item entered the catalog, epoch ms. */
    public long createdAtMs(final int ordinal) {
        return createdAtMs[ordinal];
    }

    public int size() {
        return category.length;
    }

    public int category(final int ordinal) {
        return category[ordinal];
    }

    public boolean inStock(final int ordinal) {
        return inStock[ordinal];
    }

    /** Writer thread only. */
    public void setInStock(final int ordinal, final boolean value) {
        inStock[ordinal] = value;
    }

    /** The category array itself (read-only for callers). */
    public int[] categories() {
        return category;
    }

    /**
     * A reusable filter for one request: in stock (if asked), in the requested category (if any), not seen.
     * Owned by one thread; {@link #reset} before each search.
     */
    public final class RequestFilter implements OrdinalFilter {
        private int wantedCategory = -1;
        private boolean stockOnly;
        private int[] seen = new int[0];

        public RequestFilter reset(final int wantedCategory, final boolean stockOnly, final int[] seen) {
            this.wantedCategory = wantedCategory;
            this.stockOnly = stockOnly;
            this.seen = seen;
            return this;
        }

        @Override
        public boolean test(final int ordinal) {
            if (stockOnly && !inStock[ordinal]) {
                return false;
            }
            if (wantedCategory >= 0 && category[ordinal] != wantedCategory) {
                return false;
            }
            return !SeenItems.contains(seen, ordinal);
        }
    }
}
