package io.funnel.features;

/**
 * Mutates a {@link FeatureStore}. There is one writer per store and it must be driven by one thread at a time (the
 * loader at start-up, then the event applier); readers see each row change atomically.
 */
public interface FeatureWriter {
    /**
     * Inserts or updates an item's static features.
     *
     * @param createdAtMs when the item entered the catalog, epoch milliseconds
     * @param embedding {@link FeatureStore#dimension()} components, copied; {@code null} keeps the current one
     *     (zeros for a new item)
     * @return the item's ordinal (a new item gets the next one)
     */
    int putItem(long itemId, int category, boolean inStock, long createdAtMs, float[] embedding);

    /** Marks an item in or out of stock. */
    void setInStock(int ordinal, boolean inStock);

    /** Inserts or replaces a user's embedding ({@link FeatureStore#dimension()} components, copied). */
    void putUserEmbedding(long userId, float[] embedding);

    /**
     * Records that {@code userId} interacted with the item at {@code ordinal}: pushes it onto the user's
     * recent-items ring and adds {@code weight} to the user's and the item's interaction counters. Unknown users are
     * created.
     *
     * @param tsMs when the interaction happened, epoch milliseconds
     */
    void recordInteraction(long userId, int ordinal, long tsMs, float weight);

    /**
     * Records that the item at {@code ordinal} was shown to {@code userId} (feeds the decayed CTR). Stores without
     * counters ignore it.
     *
     * @param tsMs when the impression happened, epoch milliseconds
     */
    default void recordImpression(long userId, int ordinal, long tsMs) {}
}
