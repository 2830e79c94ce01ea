package io.funnel.codecs;

import java.util.Arrays;

/**
 * A decoded batch of feedback events as parallel primitive arrays. Mutable and reusable; owned by one thread at a
 * time (the decoder's, then the applier's once handed over).
 */
public final class EventBatch {
    /** Largest number of events accepted in one batch. */
    public static final int MAX_EVENTS = 10_000;

    private long[] userIds;
    private long[] itemIds;
    private byte[] types;
    private long[] tsMs;
    private int count;

    public EventBatch() {
        this(16);
    }

    public EventBatch(final int capacity) {
        userIds = new long[capacity];
        itemIds = new long[capacity];
        types = new byte[capacity];
        tsMs = new long[capacity];
    }

    /** Empties the batch. */
    public EventBatch clear() {
        count = 0;
        return this;
    }

    /** Appends one event. */
    public EventBatch add(final long userId, final long itemId, final EventType type, final long timestampMs) {
        if (count == userIds.length) {
            final int n = count * 2;
            userIds = Arrays.copyOf(userIds, n);
            itemIds = Arrays.copyOf(itemIds, n);
            types = Arrays.copyOf(types, n);
            tsMs = Arrays.copyOf(tsMs, n);
        }
        userIds[count] = userId;
        itemIds[count] = itemId;
        types[count] = (byte) type.ordinal();
        tsMs[count] = timestampMs;
        count++;
        return this;
    }

    public int count() {
        return count;
    }

    public long userId(final int i) {
        return userIds[i];
    }

    public long itemId(final int i) {
        return itemIds[i];
    }

    public EventType type(final int i) {
        return EventType.ofCode(types[i]);
    }

    /** Event time, epoch milliseconds. */
    public long tsMs(final int i) {
        return tsMs[i];
    }
}
