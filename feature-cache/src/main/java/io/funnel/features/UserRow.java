package io.funnel.features;

import java.util.Arrays;

/**
 * A reusable copy of one user's features: embedding, recent items (most recent first) and interaction weight.
 * Owned by one thread (the request's); {@link FeatureStore#readUser} overwrites it.
 */
public final class UserRow {
    /** Maximum number of recent items kept per user. */
    public static final int MAX_RECENT = 64;

    private final float[] embedding;
    private final int[] recentItems = new int[MAX_RECENT];
    private final long[] recentTsMs = new long[MAX_RECENT];
    private int recentCount;
    private boolean hasEmbedding;
    private float interactionWeight;
    private float impressions;
    private float clicks;
    private long lastEventMs;

    private final float[] extraFloats;
    private final long[] extraLongs;

    /** Creates a row for embeddings of {@code dimension} components. */
    public UserRow(final int dimension) {
        this(dimension, 0, 0);
    }

    /**
     * Creates a row that also receives a schema's extra user features: {@code extraFloatWidth} float and
     * {@code extraLongWidth} integer components (indexes from {@link RowLayout#extraColumn(String)} of the user
     * layout).
     */
    public UserRow(final int dimension, final int extraFloatWidth, final int extraLongWidth) {
        embedding = new float[dimension];
        extraFloats = new float[extraFloatWidth];
        extraLongs = new long[extraLongWidth];
    }

    /** Creates a row shaped for the user rows of {@code schema}, extras included. */
    public static UserRow forSchema(final FeatureSchema schema) {
        final RowLayout l = schema.userLayout();
        return new UserRow(schema.dimension(), l.extraFloatWidth(), l.extraLongWidth());
    }

    /** Float components of the user's extra features (empty unless made with {@link #forSchema}). */
    public float[] extraFloats() {
        return extraFloats;
    }

    /** Integer components of the user's extra features (empty unless made with {@link #forSchema}). */
    public long[] extraLongs() {
        return extraLongs;
    }

    /** Clears every field. */
    public void clear() {
        recentCount = 0;
        hasEmbedding = false;
        interactionWeight = 0f;
        impressions = 0f;
        clicks = 0f;
        lastEventMs = 0L;
        Arrays.fill(embedding, 0f);
        Arrays.fill(extraFloats, 0f);
        Arrays.fill(extraLongs, 0L);
    }

    /** The embedding, valid when {@link #hasEmbedding()}; callers must not keep it past the next read. */
    public float[] embedding() {
        return embedding;
    }

    /** Whether an embedding was stored for this user. */
    public boolean hasEmbedding() {
        return hasEmbedding;
    }

    /** Number of recent items held (at most {@link #MAX_RECENT}). */
    public int recentCount() {
        return recentCount;
    }

    /** Ordinal of the {@code i}-th most recent item ({@code 0} is the latest). */
    public int recentItem(final int i) {
        return recentItems[i];
    }

    /** Time of the {@code i}-th most recent interaction, epoch milliseconds. */
    public long recentTsMs(final int i) {
        return recentTsMs[i];
    }

    /** Sum of the weights of all interactions recorded for this user. */
    public float interactionWeight() {
        return interactionWeight;
    }

    /** Fills the row; used by store implementations. */
    public void set(
            final float[] embeddingSource,
            final int[] recentSource,
            final long[] recentTsSource,
            final int count,
            final float weight) {
        if (embeddingSource != null) {
            System.arraycopy(embeddingSource, 0, embedding, 0, embedding.length);
            hasEmbedding = true;
        } else {
            Arrays.fill(embedding, 0f);
            hasEmbedding = false;
        }
        recentCount = Math.min(count, MAX_RECENT);
        System.arraycopy(recentSource, 0, recentItems, 0, recentCount);
        System.arraycopy(recentTsSource, 0, recentTsMs, 0, recentCount);
        interactionWeight = weight;
    }

    /** Decayed impression count of this user (0 for stores without counters). */
    public float impressions() {
        return impressions;
    }

    /** Decayed interaction count of this user (0 for stores without counters). */
    public float clicks() {
        return clicks;
    }

    /** Time of the user's last recorded event, epoch milliseconds (0 if none or not tracked). */
    public long lastEventMs() {
        return lastEventMs;
    }

    /** Sets the counters; used by store implementations after {@link #set}. */
    public void setCounters(final float impressionCount, final float clickCount, final long lastMs) {
        impressions = impressionCount;
        clicks = clickCount;
        lastEventMs = lastMs;
    }

    /** Fills the row from a store's flat ring copy without touching the embedding; used by store implementations. */
    public void setRecent(final int[] recentSource, final long[] recentTsSource, final int count, final float weight) {
        recentCount = Math.min(count, MAX_RECENT);
        System.arraycopy(recentSource, 0, recentItems, 0, recentCount);
        System.arraycopy(recentTsSource, 0, recentTsMs, 0, recentCount);
        interactionWeight = weight;
    }

    /** Marks whether {@link #embedding()} holds a stored embedding; used by store implementations. */
    public void setHasEmbedding(final boolean has) {
        hasEmbedding = has;
    }

    /** Direct access for store implementations that copy straight into the row (no intermediate arrays). */
    int[] recentItemsArray() {
        return recentItems;
    }

    long[] recentTsArray() {
        return recentTsMs;
    }

    void setRecentCount(final int n, final float weight) {
        recentCount = n;
        interactionWeight = weight;
    }
}
