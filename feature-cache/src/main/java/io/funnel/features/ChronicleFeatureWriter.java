package io.funnel.features;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import java.lang.foreign.MemorySegment;
import org.agrona.collections.MutableInteger;
import org.agrona.collections.MutableLong;

/**
 * The single writer of a {@link ChronicleFeatureStore}: static item features (bulk load, catalog updates) and the
 * real-time signals from events: per-user recent-items ring, per-user and per-item decayed impression and click
 * counters (the CTR), per-item total interaction weight and a short-half-life interaction weight (the trending
 * window).
 *
 * <p>Besides {@link FeatureWriter}, rows can be staged field by field with {@link #stageItem(long)} /
 * {@link #commitItem()} and {@link #stageUser(long)} / {@link #commitUser()}: the staged row is a private copy, and
 * the commit publishes it in one step, so readers see either the old or the new row.
 *
 * <p>Threading: one thread at a time (the loader at start-up, then the event applier). Allocation free after warm-up
 * except inside Chronicle Map's own put path.
 */
public final class ChronicleFeatureWriter implements FeatureWriter {
    private static final double LN2 = Math.log(2);

    private final ChronicleFeatureStore store;
    private final RowLayout itemLayout;
    private final int itemRowBytes;
    private final MutableLong key = new MutableLong();
    private final MutableInteger intKey = new MutableInteger();
    private final MutableInteger intValue = new MutableInteger();
    private final byte[] itemBytes;
    private final MemorySegment itemSegment;
    private final ItemRowFlyweight stagedItem;
    private final byte[] userBytes;
    private final MemorySegment userSegment;
    private final UserRowFlyweight stagedUser;
    private final double ctrLambdaPerMs;
    private final double trendingLambdaPerMs;
    private final int inStockOffset;
    private int stagedOrdinal = Integer.MIN_VALUE;
    private long stagedItemId;
    private long stagedUserId;
    private boolean userStaged;
    private int nextOrdinal;

    ChronicleFeatureWriter(final ChronicleFeatureStore store, final long ctrHalfLifeMs, final long trendingHalfLifeMs) {
        this.store = store;
        this.itemLayout = store.schema().itemLayout();
        this.itemRowBytes = itemLayout.rowBytes();
        this.itemBytes = new byte[itemRowBytes];
        this.itemSegment = MemorySegment.ofArray(itemBytes);
        this.stagedItem = new ItemRowFlyweight(itemLayout).wrap(itemSegment, 0);
        this.userBytes = new byte[store.schema().userLayout().rowBytes()];
        this.userSegment = MemorySegment.ofArray(userBytes);
        this.stagedUser = new UserRowFlyweight(store.schema().userLayout()).wrap(userSegment, 0);
        this.ctrLambdaPerMs = LN2 / ctrHalfLifeMs;
        this.trendingLambdaPerMs = LN2 / trendingHalfLifeMs;
        this.inStockOffset = itemLayout.offset(FeatureSchema.IN_STOCK);
    }

    /**
     * After open: the id map is written after an appended row is published, so a killed process can leave the last
     * rows without their id entry. Re-adds them.
     */
    void reconcileIds() {
        nextOrdinal = store.itemCount();
        for (int ord = Math.max(0, nextOrdinal - 8); ord < nextOrdinal; ord++) {
            final long id = store.itemIdAt(ord);
            if (store.ordinalOf(id) != ord) {
                key.set(id);
                intValue.set(ord);
                store.itemIds.put(key, intValue);
            }
        }
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Staged rows

    /**
     * Stages the row of {@code itemId}: a copy of the current row, or the schema defaults for a new item. Set fields
     * through the returned flyweight (offsets from {@link RowLayout#offset(String)}), then {@link #commitItem()}.
     */
    public ItemRowFlyweight stageItem(final long itemId) {
        final int ord = store.ordinalOf(itemId);
        stagedItemId = itemId;
        stagedOrdinal = ord;
        if (ord < 0) {
            stagedItem.reset().itemId(itemId);
        } else {
            loadItem(ord);
        }
        return stagedItem;
    }

    private void loadItem(final int ord) {
        if (store.dense != null) {
            MemorySegment.copy(store.dense.segment(), store.dense.rowOffset(ord), itemSegment, 0, itemRowBytes);
        } else {
            intKey.set(ord);
            store.itemRows.getUsing(intKey, itemBytes);
        }
    }

    /** Publishes the staged item row; returns its ordinal (a new item gets the next one). */
    public int commitItem() {
        if (stagedOrdinal == Integer.MIN_VALUE) {
            throw new IllegalStateException("commitItem() without stageItem()");
        }
        stagedItem.itemId(stagedItemId);
        int ord = stagedOrdinal;
        stagedOrdinal = Integer.MIN_VALUE;
        if (ord >= 0) {
            storeItem(ord);
            return ord;
        }
        ord = nextOrdinal;
        if (store.dense != null) {
            final long at = store.dense.prepareAppend(ord);
            MemorySegment.copy(itemSegment, 4, store.dense.segment(), at + 4, itemRowBytes - 4);
            store.dense.publish(ord + 1);
        } else {
            intKey.set(ord);
            store.journal.record(PutJournal.ITEM_ROWS, ord, itemBytes, itemRowBytes);
            store.itemRows.put(intKey, itemBytes);
            store.chronicleItemCount = ord + 1;
        }
        nextOrdinal = ord + 1;
        key.set(stagedItemId);
        intValue.set(ord);
        store.itemIds.put(key, intValue);
        return ord;
    }

    private void storeItem(final int ord) {
        if (store.dense != null) {
            final long at = store.dense.beginWrite(ord);
            MemorySegment.copy(itemSegment, 4, store.dense.segment(), at + 4, itemRowBytes - 4);
            store.dense.endWrite(at);
        } else {
            intKey.set(ord);
            store.journal.record(PutJournal.ITEM_ROWS, ord, itemBytes, itemRowBytes);
            store.itemRows.put(intKey, itemBytes);
        }
    }

    /** Stages the row of {@code userId}: a copy of the current row, or defaults for a new user. */
    public UserRowFlyweight stageUser(final long userId) {
        key.set(userId);
        final byte[] row = store.users.getUsing(key, userBytes);
        if (row == null) {
            stagedUser.reset();
        } else if (row != userBytes) {
            System.arraycopy(row, 0, userBytes, 0, userBytes.length);
        }
        stagedUserId = userId;
        userStaged = true;
        return stagedUser;
    }

    /** Publishes the staged user row. */
    public void commitUser() {
        if (!userStaged) {
            throw new IllegalStateException("commitUser() without stageUser()");
        }
        userStaged = false;
        key.set(stagedUserId);
        store.journal.record(PutJournal.USERS, stagedUserId, userBytes, userBytes.length);
        store.users.put(key, userBytes);
    }

    // ----------------------------------------------------------------------------------------------------------------
    // FeatureWriter

    @Override
    public int putItem(final long itemId, final int category, final boolean inStock, final long createdAtMs,
            final float[] embedding) {
        if (embedding != null && embedding.length != store.dimension()) {
            throw new IllegalArgumentException("embedding of item " + itemId + " has " + embedding.length
                    + " components, the store has " + store.dimension());
        }
        final ItemRowFlyweight row = stageItem(itemId);
        row.category(category).inStock(inStock).createdAtMs(createdAtMs);
        if (embedding != null) {
            row.embedding(embedding, 0);
        }
        return commitItem();
    }

    @Override
    public void setInStock(final int ordinal, final boolean inStock) {
        checkOrdinal(ordinal);
        if (store.dense != null) {
            final long at = store.dense.beginWrite(ordinal);
            store.dense.segment().set(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, at + inStockOffset,
                    inStock ? 1 : 0);
            store.dense.endWrite(at);
        } else {
            loadItem(ordinal);
            stagedItem.inStock(inStock);
            storeItem(ordinal);
        }
    }

    @Override
    public void putUserEmbedding(final long userId, final float[] embedding) {
        if (embedding.length != store.dimension()) {
            throw new IllegalArgumentException("embedding of user " + userId + " has " + embedding.length
                    + " components, the store has " + store.dimension());
        }
        stageUser(userId).embedding(embedding);
        commitUser();
    }

    @Override
    public void recordInteraction(final long userId, final int ordinal, final long tsMs, final float weight) {
        checkOrdinal(ordinal);
        final UserRowFlyweight u = stageUser(userId);
        u.recordInteraction(ordinal, tsMs, weight, decay(tsMs - u.lastEventMs(), ctrLambdaPerMs));
        commitUser();
        updateItemCounters(ordinal, tsMs, weight, true);
    }

    @Override
    public void recordImpression(final long userId, final int ordinal, final long tsMs) {
        checkOrdinal(ordinal);
        final UserRowFlyweight u = stageUser(userId);
        u.recordImpression(tsMs, decay(tsMs - u.lastEventMs(), ctrLambdaPerMs));
        commitUser();
        updateItemCounters(ordinal, tsMs, 0f, false);
    }

    private void checkOrdinal(final int ordinal) {
        if (ordinal < 0 || ordinal >= nextOrdinal) {
            throw new IndexOutOfBoundsException("item ordinal " + ordinal + " is outside 0.." + (nextOrdinal - 1));
        }
    }

    private static float decay(final long dtMs, final double lambdaPerMs) {
        return dtMs <= 0 ? 1f : (float) Math.exp(-lambdaPerMs * dtMs);
    }

    private void updateItemCounters(final int ord, final long tsMs, final float weight, final boolean click) {
        final MemorySegment s;
        final long at;
        if (store.dense != null) {
            s = store.dense.segment();
            at = store.dense.beginWrite(ord);
        } else {
            loadItem(ord);
            s = itemSegment;
            at = 0;
        }
        final long last = s.get(JAVA_LONG_UNALIGNED, at + RowLayout.LAST_EVENT_MS);
        final float ctrDecay = decay(tsMs - last, ctrLambdaPerMs);
        final float trendDecay = decay(tsMs - last, trendingLambdaPerMs);
        final float impressions = s.get(JAVA_FLOAT_UNALIGNED, at + RowLayout.IMPRESSIONS) * ctrDecay;
        final float clicks = s.get(JAVA_FLOAT_UNALIGNED, at + RowLayout.CLICKS) * ctrDecay;
        final float trending = s.get(JAVA_FLOAT_UNALIGNED, at + RowLayout.TRENDING) * trendDecay;
        if (click) {
            s.set(JAVA_FLOAT_UNALIGNED, at + RowLayout.CLICKS, clicks + 1f);
            s.set(JAVA_FLOAT_UNALIGNED, at + RowLayout.IMPRESSIONS, impressions);
            s.set(JAVA_FLOAT_UNALIGNED, at + RowLayout.TRENDING, trending + weight);
            s.set(JAVA_FLOAT_UNALIGNED, at + RowLayout.INTERACTIONS,
                    s.get(JAVA_FLOAT_UNALIGNED, at + RowLayout.INTERACTIONS) + weight);
        } else {
            s.set(JAVA_FLOAT_UNALIGNED, at + RowLayout.CLICKS, clicks);
            s.set(JAVA_FLOAT_UNALIGNED, at + RowLayout.IMPRESSIONS, impressions + 1f);
            s.set(JAVA_FLOAT_UNALIGNED, at + RowLayout.TRENDING, trending);
        }
        if (tsMs > last) {
            s.set(JAVA_LONG_UNALIGNED, at + RowLayout.LAST_EVENT_MS, tsMs);
        }
        if (store.dense != null) {
            store.dense.endWrite(at);
        } else {
            storeItem(ord);
        }
    }
}
