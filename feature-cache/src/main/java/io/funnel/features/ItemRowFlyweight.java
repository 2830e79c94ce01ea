package io.funnel.features;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import java.lang.foreign.MemorySegment;

/**
 * A view over one item row laid out by a {@link RowLayout}: {@link #wrap} it over a segment and offset, then read or
 * write fields in place. Nothing is decoded into objects and nothing is allocated.
 *
 * <p>Threading: a flyweight is owned by one thread. Writing through it does not take the row's sequence lock; the
 * store's writer stages rows with it and publishes them under the lock.
 */
public final class ItemRowFlyweight {
    private final RowLayout layout;
    private final int embeddingOffset;
    private final int dimension;
    private final int categoryOffset;
    private final int inStockOffset;
    private final int createdOffset;
    private MemorySegment segment;
    private long offset;

    /** Creates an unwrapped flyweight for rows of {@code layout} (an item layout). */
    public ItemRowFlyweight(final RowLayout layout) {
        this.layout = layout;
        this.embeddingOffset = layout.offset(FeatureSchema.EMBEDDING);
        this.dimension = layout.width(FeatureSchema.EMBEDDING);
        this.categoryOffset = layout.offset(FeatureSchema.CATEGORY);
        this.inStockOffset = layout.offset(FeatureSchema.IN_STOCK);
        this.createdOffset = layout.offset(FeatureSchema.CREATED_AT_MS);
    }

    /** Points the view at the row starting at byte {@code rowOffset} of {@code seg}. */
    public ItemRowFlyweight wrap(final MemorySegment seg, final long rowOffset) {
        this.segment = seg;
        this.offset = rowOffset;
        return this;
    }

    /** The layout this view decodes. */
    public RowLayout layout() {
        return layout;
    }

    /** Fills the row with the schema defaults (header zeroed, sequence word kept). */
    public ItemRowFlyweight reset() {
        layout.writeDefaults(segment, offset);
        return this;
    }

    /** External item id. */
    public long itemId() {
        return segment.get(JAVA_LONG_UNALIGNED, offset + RowLayout.ITEM_ID);
    }

    /** Sets the external item id. */
    public ItemRowFlyweight itemId(final long id) {
        segment.set(JAVA_LONG_UNALIGNED, offset + RowLayout.ITEM_ID, id);
        return this;
    }

    /** Category id. */
    public int category() {
        return segment.get(JAVA_INT_UNALIGNED, offset + categoryOffset);
    }

    /** Sets the category id. */
    public ItemRowFlyweight category(final int c) {
        segment.set(JAVA_INT_UNALIGNED, offset + categoryOffset, c);
        return this;
    }

    /** Stock flag. */
    public boolean inStock() {
        return segment.get(JAVA_INT_UNALIGNED, offset + inStockOffset) != 0;
    }

    /** Sets the stock flag. */
    public ItemRowFlyweight inStock(final boolean s) {
        segment.set(JAVA_INT_UNALIGNED, offset + inStockOffset, s ? 1 : 0);
        return this;
    }

    /** Catalog entry time, epoch ms. */
    public long createdAtMs() {
        return segment.get(JAVA_LONG_UNALIGNED, offset + createdOffset);
    }

    /** Sets the catalog entry time, epoch ms. */
    public ItemRowFlyweight createdAtMs(final long ms) {
        segment.set(JAVA_LONG_UNALIGNED, offset + createdOffset, ms);
        return this;
    }

    /** Total interaction weight. */
    public float interactions() {
        return segment.get(JAVA_FLOAT_UNALIGNED, offset + RowLayout.INTERACTIONS);
    }

    /** Decayed impressions. */
    public float impressions() {
        return segment.get(JAVA_FLOAT_UNALIGNED, offset + RowLayout.IMPRESSIONS);
    }

    /** Decayed clicks (interactions). */
    public float clicks() {
        return segment.get(JAVA_FLOAT_UNALIGNED, offset + RowLayout.CLICKS);
    }

    /** Decayed short-window interaction weight. */
    public float trending() {
        return segment.get(JAVA_FLOAT_UNALIGNED, offset + RowLayout.TRENDING);
    }

    /** Time of the last counter update, epoch ms. */
    public long lastEventMs() {
        return segment.get(JAVA_LONG_UNALIGNED, offset + RowLayout.LAST_EVENT_MS);
    }

    /** Copies the embedding into {@code dst} from {@code dstIndex}. */
    public void copyEmbedding(final float[] dst, final int dstIndex) {
        MemorySegment.copy(segment, JAVA_FLOAT_UNALIGNED, offset + embeddingOffset, dst, dstIndex, dimension);
    }

    /** Sets the embedding from {@code src} ({@code dimension} components from {@code srcIndex}). */
    public ItemRowFlyweight embedding(final float[] src, final int srcIndex) {
        MemorySegment.copy(src, srcIndex, segment, JAVA_FLOAT_UNALIGNED, offset + embeddingOffset, dimension);
        return this;
    }

    /** Reads a float field at a byte offset from {@link RowLayout#offset(String)}. */
    public float getFloat(final int fieldOffset) {
        return segment.get(JAVA_FLOAT_UNALIGNED, offset + fieldOffset);
    }

    /** Writes a float (or component {@code k} of a float_vector: pass {@code fieldOffset + 4 * k}). */
    public ItemRowFlyweight putFloat(final int fieldOffset, final float v) {
        segment.set(JAVA_FLOAT_UNALIGNED, offset + fieldOffset, v);
        return this;
    }

    /** Reads an int or category field. */
    public int getInt(final int fieldOffset) {
        return segment.get(JAVA_INT_UNALIGNED, offset + fieldOffset);
    }

    /** Writes an int or category field. */
    public ItemRowFlyweight putInt(final int fieldOffset, final int v) {
        segment.set(JAVA_INT_UNALIGNED, offset + fieldOffset, v);
        return this;
    }

    /** Reads a long or timestamp field. */
    public long getLong(final int fieldOffset) {
        return segment.get(JAVA_LONG_UNALIGNED, offset + fieldOffset);
    }

    /** Writes a long or timestamp field. */
    public ItemRowFlyweight putLong(final int fieldOffset, final long v) {
        segment.set(JAVA_LONG_UNALIGNED, offset + fieldOffset, v);
        return this;
    }

    /** Writes an id_list field: {@code n} ids from {@code ids} (the caller keeps n within the declared length). */
    public ItemRowFlyweight putIdList(final int fieldOffset, final long[] ids, final int n) {
        segment.set(JAVA_INT_UNALIGNED, offset + fieldOffset, n);
        MemorySegment.copy(ids, 0, segment, JAVA_LONG_UNALIGNED, offset + fieldOffset + 8, n);
        return this;
    }

    /**
     * Copies the whole row into position {@code i} of {@code out}: built-ins, counters (CTR smoothed as documented on
     * {@link ItemColumns#ctr()}) and extras. Allocation free.
     */
    public void copyTo(final ItemColumns out, final int i) {
        copyRow(segment, offset, out, i);
    }

    void copyRow(final MemorySegment s, final long off, final ItemColumns out, final int i) {
        out.category()[i] = s.get(JAVA_INT_UNALIGNED, off + categoryOffset);
        out.inStock()[i] = s.get(JAVA_INT_UNALIGNED, off + inStockOffset) != 0;
        out.createdAtMs()[i] = s.get(JAVA_LONG_UNALIGNED, off + createdOffset);
        out.interactions()[i] = s.get(JAVA_FLOAT_UNALIGNED, off + RowLayout.INTERACTIONS);
        final float impressions = s.get(JAVA_FLOAT_UNALIGNED, off + RowLayout.IMPRESSIONS);
        final float clicks = s.get(JAVA_FLOAT_UNALIGNED, off + RowLayout.CLICKS);
        out.ctr()[i] = (clicks + CTR_PRIOR_CLICKS) / (impressions + CTR_PRIOR_IMPRESSIONS);
        out.trending()[i] = s.get(JAVA_FLOAT_UNALIGNED, off + RowLayout.TRENDING);
        MemorySegment.copy(s, JAVA_FLOAT_UNALIGNED, off + embeddingOffset, out.embeddings(), i * dimension, dimension);
        if (layout.extraCount() != 0 && (out.extraFloatWidth() | out.extraLongWidth()) != 0) {
            layout.readExtras(s, off, out.extraFloats(), out.extraLongs(), i);
        }
    }

    static final float CTR_PRIOR_CLICKS = 1f;
    static final float CTR_PRIOR_IMPRESSIONS = 50f;
}
