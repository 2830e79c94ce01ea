package io.funnel.features;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import java.lang.foreign.MemorySegment;

/**
 * A view over one user row laid out by a {@link RowLayout}: embedding, recent-items ring (timestamps then ordinals,
 * most recent at {@code recent_head}), counters and extra features. Nothing is decoded into objects.
 *
 * <p>Threading: owned by one thread; {@link #copyTo(MemorySegment, long, UserRow)} uses only immutable state and may
 * be shared by readers.
 */
public final class UserRowFlyweight {
    private final RowLayout layout;
    private final int embeddingOffset;
    private final int dimension;
    private final int ringTsOffset;
    private final int ringOrdOffset;
    private final int ringLength;
    private MemorySegment segment;
    private long offset;

    /** Creates an unwrapped flyweight for rows of {@code layout} (a user layout). */
    public UserRowFlyweight(final RowLayout layout) {
        this.layout = layout;
        this.embeddingOffset = layout.offset(FeatureSchema.EMBEDDING);
        this.dimension = layout.width(FeatureSchema.EMBEDDING);
        this.ringLength = layout.width(FeatureSchema.RECENT_ITEMS);
        this.ringTsOffset = layout.offset(FeatureSchema.RECENT_ITEMS);
        this.ringOrdOffset = ringTsOffset + 8 * ringLength;
    }

    /** Points the view at the row starting at byte {@code rowOffset} of {@code seg}. */
    public UserRowFlyweight wrap(final MemorySegment seg, final long rowOffset) {
        this.segment = seg;
        this.offset = rowOffset;
        return this;
    }

    /** The layout this view decodes. */
    public RowLayout layout() {
        return layout;
    }

    /** Fills the row with the schema defaults and an empty ring. */
    public UserRowFlyweight reset() {
        layout.writeDefaults(segment, offset);
        segment.set(JAVA_INT_UNALIGNED, offset + RowLayout.RECENT_HEAD, ringLength - 1);
        return this;
    }

    /** Sets the embedding from {@code src} and marks the row as having one. */
    public UserRowFlyweight embedding(final float[] src) {
        MemorySegment.copy(src, 0, segment, JAVA_FLOAT_UNALIGNED, offset + embeddingOffset, dimension);
        final int flags = segment.get(JAVA_INT_UNALIGNED, offset + RowLayout.USER_FLAGS);
        segment.set(JAVA_INT_UNALIGNED, offset + RowLayout.USER_FLAGS, flags | 1);
        return this;
    }

    /** Number of ring entries held. */
    public int recentCount() {
        return segment.get(JAVA_INT_UNALIGNED, offset + RowLayout.RECENT_COUNT);
    }

    /** Total interaction weight. */
    public float weight() {
        return segment.get(JAVA_FLOAT_UNALIGNED, offset + RowLayout.WEIGHT);
    }

    /**
     * Records an interaction: pushes {@code ordinal} onto the ring, adds {@code w} to the weight and decays then bumps
     * the click counter ({@code decay} is the factor for the time since the last event).
     */
    public UserRowFlyweight recordInteraction(final int ordinal, final long tsMs, final float w, final float decay) {
        final int head = (segment.get(JAVA_INT_UNALIGNED, offset + RowLayout.RECENT_HEAD) + 1) % ringLength;
        segment.set(JAVA_INT_UNALIGNED, offset + ringOrdOffset + 4L * head, ordinal);
        segment.set(JAVA_LONG_UNALIGNED, offset + ringTsOffset + 8L * head, tsMs);
        segment.set(JAVA_INT_UNALIGNED, offset + RowLayout.RECENT_HEAD, head);
        final int count = segment.get(JAVA_INT_UNALIGNED, offset + RowLayout.RECENT_COUNT);
        segment.set(JAVA_INT_UNALIGNED, offset + RowLayout.RECENT_COUNT, Math.min(count + 1, ringLength));
        segment.set(JAVA_FLOAT_UNALIGNED, offset + RowLayout.WEIGHT, weight() + w);
        final float clicks = segment.get(JAVA_FLOAT_UNALIGNED, offset + RowLayout.CLICKS);
        segment.set(JAVA_FLOAT_UNALIGNED, offset + RowLayout.CLICKS, clicks * decay + 1f);
        final float impressions = segment.get(JAVA_FLOAT_UNALIGNED, offset + RowLayout.IMPRESSIONS);
        segment.set(JAVA_FLOAT_UNALIGNED, offset + RowLayout.IMPRESSIONS, impressions * decay);
        touch(tsMs);
        return this;
    }

    /** Decays the counters by {@code decay} and counts one impression. */
    public UserRowFlyweight recordImpression(final long tsMs, final float decay) {
        final float clicks = segment.get(JAVA_FLOAT_UNALIGNED, offset + RowLayout.CLICKS);
        segment.set(JAVA_FLOAT_UNALIGNED, offset + RowLayout.CLICKS, clicks * decay);
        final float impressions = segment.get(JAVA_FLOAT_UNALIGNED, offset + RowLayout.IMPRESSIONS);
        segment.set(JAVA_FLOAT_UNALIGNED, offset + RowLayout.IMPRESSIONS, impressions * decay + 1f);
        touch(tsMs);
        return this;
    }

    private void touch(final long tsMs) {
        if (tsMs > lastEventMs()) {
            segment.set(JAVA_LONG_UNALIGNED, offset + RowLayout.LAST_EVENT_MS, tsMs);
        }
    }

    /** Time of the last counter update, epoch ms. */
    public long lastEventMs() {
        return segment.get(JAVA_LONG_UNALIGNED, offset + RowLayout.LAST_EVENT_MS);
    }

    /** Writes a float (or float_vector component: {@code fieldOffset + 4 * k}). */
    public UserRowFlyweight putFloat(final int fieldOffset, final float v) {
        segment.set(JAVA_FLOAT_UNALIGNED, offset + fieldOffset, v);
        return this;
    }

    /** Writes an int or category. */
    public UserRowFlyweight putInt(final int fieldOffset, final int v) {
        segment.set(JAVA_INT_UNALIGNED, offset + fieldOffset, v);
        return this;
    }

    /** Writes a long or timestamp. */
    public UserRowFlyweight putLong(final int fieldOffset, final long v) {
        segment.set(JAVA_LONG_UNALIGNED, offset + fieldOffset, v);
        return this;
    }

    /** Writes an id_list: {@code n} ids. */
    public UserRowFlyweight putIdList(final int fieldOffset, final long[] ids, final int n) {
        segment.set(JAVA_INT_UNALIGNED, offset + fieldOffset, n);
        MemorySegment.copy(ids, 0, segment, JAVA_LONG_UNALIGNED, offset + fieldOffset + 8, n);
        return this;
    }

    /** Reads a float. */
    public float getFloat(final int fieldOffset) {
        return segment.get(JAVA_FLOAT_UNALIGNED, offset + fieldOffset);
    }

    /** Reads a long or timestamp. */
    public long getLong(final int fieldOffset) {
        return segment.get(JAVA_LONG_UNALIGNED, offset + fieldOffset);
    }

    /** Decodes the row at {@code off} of {@code s} into {@code out} (ring unrolled most recent first). */
    void copyTo(final MemorySegment s, final long off, final UserRow out) {
        final boolean has = (s.get(JAVA_INT_UNALIGNED, off + RowLayout.USER_FLAGS) & 1) != 0;
        MemorySegment.copy(s, JAVA_FLOAT_UNALIGNED, off + embeddingOffset, out.embedding(), 0, dimension);
        out.setHasEmbedding(has);
        final int head = s.get(JAVA_INT_UNALIGNED, off + RowLayout.RECENT_HEAD);
        final int count = Math.min(s.get(JAVA_INT_UNALIGNED, off + RowLayout.RECENT_COUNT), ringLength);
        final int[] items = out.recentItemsArray();
        final long[] ts = out.recentTsArray();
        int slot = head;
        for (int i = 0; i < count; i++) {
            items[i] = s.get(JAVA_INT_UNALIGNED, off + ringOrdOffset + 4L * slot);
            ts[i] = s.get(JAVA_LONG_UNALIGNED, off + ringTsOffset + 8L * slot);
            slot = slot == 0 ? ringLength - 1 : slot - 1;
        }
        out.setRecentCount(count, s.get(JAVA_FLOAT_UNALIGNED, off + RowLayout.WEIGHT));
        final float[] xf = out.extraFloats();
        final long[] xl = out.extraLongs();
        if (layout.extraCount() != 0 && xf.length == layout.extraFloatWidth() && xl.length == layout.extraLongWidth()
                && (xf.length | xl.length) != 0) {
            layout.readExtras(s, off, xf, xl, 0);
        }
        out.setCounters(s.get(JAVA_FLOAT_UNALIGNED, off + RowLayout.IMPRESSIONS),
                s.get(JAVA_FLOAT_UNALIGNED, off + RowLayout.CLICKS),
                s.get(JAVA_LONG_UNALIGNED, off + RowLayout.LAST_EVENT_MS));
    }
}
