package io.funnel.features;

/**
 * The online feature store: user rows keyed by external user id, item rows addressed by dense item ordinal, and the
 * mapping from external item ids to ordinals.
 *
 * <p>Threading: any number of threads may read concurrently. All mutation goes through the single
 * {@link #writer()}, which must be used from one thread at a time. A reader never sees a half-written row.
 */
public interface FeatureStore extends AutoCloseable {
    /** Number of components of user and item embeddings. */
    int dimension();

    /** Number of items (ordinals are {@code 0..itemCount()-1}). */
    int itemCount();

    /** Ordinal of an external item id, or {@code -1} if the item is unknown. */
    int ordinalOf(long itemId);

    /** External id of the item at {@code ordinal}. */
    long itemIdAt(int ordinal);

    /**
     * Copies the row of {@code userId} into {@code out}.
     *
     * @return {@code false} if the user is unknown (the cold-start branch); {@code out} is then cleared
     */
    boolean readUser(long userId, UserRow out);

    /**
     * Reads the rows of {@code count} items in one batch into the columns of {@code out}, position {@code i} holding
     * the item at {@code ordinals[i]}.
     */
    void readItems(int[] ordinals, int count, ItemColumns out);

    /** The single writer of this store. */
    FeatureWriter writer();

    @Override
    default void close() {}
}
