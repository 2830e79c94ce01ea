package io.funnel.engine.data;

import java.util.Arrays;

/**
 * A catalog plus an interaction log, as read from disk or generated. Items are addressed by ordinal
 * ({@code 0..itemCount-1}, the order of the catalog); interactions are sorted by time.
 *
 * <p>Threading: immutable after construction; safe to share.
 */
public final class Dataset {
    private final String name;
    private final long[] itemIds;
    private final int[] category;
    private final boolean[] inStock;
    private final long[] createdAtMs;
    private final int[] creator;
    private final int categoryCount;
    private final long[] userIds;
    private final int[] items;
    private final byte[] types;
    private final long[] tsMs;

    /**
     * @param name where the data came from, for messages and reports
     * @param users external user id of each interaction
     * @param items item ordinal of each interaction
     * @param types {@link io.funnel.codecs.EventType} ordinal of each interaction
     * @param tsMs time of each interaction, epoch milliseconds; the log is sorted by it here
     */
    public Dataset(final String name, final long[] itemIds, final int[] category, final boolean[] inStock,
            final long[] createdAtMs, final long[] users, final int[] items, final byte[] types, final long[] tsMs) {
        this(name, itemIds, category, inStock, createdAtMs, null, users, items, types, tsMs);
    }

    /**
     * As above, with the creator (seller, author, studio) of each item; {@code null} or {@code -1} entries mean
     * unknown.
     */
    public Dataset(final String name, final long[] itemIds, final int[] category, final boolean[] inStock,
            final long[] createdAtMs, final int[] creator, final long[] users, final int[] items, final byte[] types,
            final long[] tsMs) {
        this.name = name;
        this.creator = creator;
        this.itemIds = itemIds;
        this.category = category;
        this.inStock = inStock;
        this.createdAtMs = createdAtMs;
        int maxCategory = 0;
        for (final int c : category) {
            maxCategory = Math.max(maxCategory, c);
        }
        this.categoryCount = maxCategory + 1;
        // Sort the log by time (stable, so equal timestamps keep file order); most logs already are.
        final int n = users.length;
        boolean sorted = true;
        for (int i = 1; i < n && sorted; i++) {
            sorted = tsMs[i - 1] <= tsMs[i];
        }
        final Integer[] order = new Integer[sorted ? 0 : n];
        if (!sorted) {
            for (int i = 0; i < n; i++) {
                order[i] = i;
            }
            Arrays.sort(order, (a, b) -> Long.compare(tsMs[a], tsMs[b]));
        }
        this.userIds = new long[n];
        this.items = new int[n];
        this.types = new byte[n];
        this.tsMs = new long[n];
        for (int i = 0; i < n; i++) {
            final int j = sorted ? i : order[i];
            this.userIds[i] = users[j];
            this.items[i] = items[j];
            this.types[i] = types[j];
            this.tsMs[i] = tsMs[j];
        }
    }

    public String name() {
        return name;
    }

    public int itemCount() {
        return itemIds.length;
    }

    public int categoryCount() {
        return categoryCount;
    }

    public long itemId(final int ordinal) {
        return itemIds[ordinal];
    }

    public int category(final int ordinal) {
        return category[ordinal];
    }

    public boolean inStock(final int ordinal) {
        return inStock[ordinal];
    }

    /** Creator (seller, author, studio) of the item, or {@code -1} when unknown. */
    public int creator(final int ordinal) {
        return creator == null ? -1 : creator[ordinal];
    }

    /** When the item entered the catalog, epoch milliseconds. */
    public long createdAtMs(final int ordinal) {
        return createdAtMs[ordinal];
    }

    /** Number of interactions. */
    public int size() {
        return userIds.length;
    }

    public long userId(final int i) {
        return userIds[i];
    }

    public int item(final int i) {
        return items[i];
    }

    public byte type(final int i) {
        return types[i];
    }

    /** Time of interaction {@code i}, epoch milliseconds (non-decreasing in {@code i}). */
    public long tsMs(final int i) {
        return tsMs[i];
    }

    /** A dataset with the same catalog and interactions {@code [from, to)}. */
    public Dataset slice(final int from, final int to) {
        return new Dataset(name, itemIds, category, inStock, createdAtMs, creator,
                Arrays.copyOfRange(userIds, from, to), Arrays.copyOfRange(items, from, to),
                Arrays.copyOfRange(types, from, to), Arrays.copyOfRange(tsMs, from, to));
    }
}
