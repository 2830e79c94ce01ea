package io.funnel.features;

import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A heap-resident {@link FeatureStore}: item rows in dense arrays indexed by ordinal, user rows in a concurrent map.
 * It is the default store and the reference the off-heap stores are tested against.
 *
 * <p>Threading: one writer, many readers. Each user row is guarded by a sequence lock (odd while the writer is inside
 * it), so a reader retries instead of returning a half-written row. Item arrays are published through a volatile
 * version counter that every reader reads first.
 */
public final class InMemoryFeatureStore implements FeatureStore {
    private final int dimension;
    private final ConcurrentHashMap<Long, Integer> ordinals = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Long, UserState> users = new ConcurrentHashMap<>();
    private final Writer writer = new Writer();

    private long[] itemIds;
    private int[] category;
    private boolean[] inStock;
    private long[] createdAtMs;
    private float[] interactions;
    private float[] embeddings;
    private int itemCount;
    private volatile int version;

    /** Creates an empty store for embeddings of {@code dimension} components, sized for {@code expectedItems}. */
    public InMemoryFeatureStore(final int dimension, final int expectedItems) {
        if (dimension <= 0) {
            throw new IllegalArgumentException("dimension must be positive, got " + dimension);
        }
        this.dimension = dimension;
        allocate(Math.max(16, expectedItems));
    }

    private void allocate(final int capacity) {
        itemIds = itemIds == null ? new long[capacity] : Arrays.copyOf(itemIds, capacity);
        category = category == null ? new int[capacity] : Arrays.copyOf(category, capacity);
        inStock = inStock == null ? new boolean[capacity] : Arrays.copyOf(inStock, capacity);
        createdAtMs = createdAtMs == null ? new long[capacity] : Arrays.copyOf(createdAtMs, capacity);
        interactions = interactions == null ? new float[capacity] : Arrays.copyOf(interactions, capacity);
        embeddings = embeddings == null ? new float[capacity * dimension] : Arrays.copyOf(embeddings, capacity * dimension);
    }

    @Override
    public int dimension() {
        return dimension;
    }

    @Override
    public int itemCount() {
        final int ignored = version;
        return itemCount;
    }

    @Override
    public int ordinalOf(final long itemId) {
        final Integer ordinal = ordinals.get(itemId);
        return ordinal == null ? -1 : ordinal;
    }

    @Override
    public long itemIdAt(final int ordinal) {
        final int ignored = version;
        return itemIds[ordinal];
    }

    @Override
    public boolean readUser(final long userId, final UserRow out) {
        final UserState state = users.get(userId);
        if (state == null) {
            out.clear();
            return false;
        }
        state.readInto(out);
        return true;
    }

    @Override
    public void readItems(final int[] ords, final int count, final ItemColumns out) {
        final int ignored = version;
        out.reset(count);
        final int[] cat = out.category();
        final boolean[] stock = out.inStock();
        final long[] created = out.createdAtMs();
        final float[] inter = out.interactions();
        final float[] emb = out.embeddings();
        final float[] source = embeddings;
        for (int i = 0; i < count; i++) {
            final int o = ords[i];
            cat[i] = category[o];
            stock[i] = inStock[o];
            created[i] = createdAtMs[o];
            inter[i] = interactions[o];
            System.arraycopy(source, o * dimension, emb, i * dimension, dimension);
        }
    }

    @Override
    public FeatureWriter writer() {
        return writer;
    }

    /** One user's mutable state; written by the store's writer only. */
    private static final class UserState {
        volatile int seq;
        float[] embedding;
        final int[] ring = new int[UserRow.MAX_RECENT];
        final long[] ringTs = new long[UserRow.MAX_RECENT];
        int head; // index of the most recent entry
        int count;
        float weight;
        // Scratch for readers is per call (stack arrays would be ideal); the ring is unrolled into these.
        private static final ThreadLocal<int[]> READ_ITEMS = ThreadLocal.withInitial(() -> new int[UserRow.MAX_RECENT]);
        private static final ThreadLocal<long[]> READ_TS = ThreadLocal.withInitial(() -> new long[UserRow.MAX_RECENT]);

        void beginWrite() {
            seq++;
            VarHandle.storeStoreFence(); // the odd seq is visible before any field write that follows
        }

        void readInto(final UserRow out) {
            final int[] items = READ_ITEMS.get();
            final long[] ts = READ_TS.get();
            while (true) {
                final int before = seq;
                if ((before & 1) != 0) {
                    Thread.onSpinWait();
                    continue;
                }
                final int n = count;
                for (int i = 0; i < n; i++) {
                    final int slot = (head - i + UserRow.MAX_RECENT) % UserRow.MAX_RECENT;
                    items[i] = ring[slot];
                    ts[i] = ringTs[slot];
                }
                out.set(embedding, items, ts, n, weight);
                VarHandle.loadLoadFence(); // the data reads above complete before seq is read again
                if (seq == before) {
                    return;
                }
            }
        }
    }

    private final class Writer implements FeatureWriter {
        @Override
        public int putItem(
                final long itemId, final int cat, final boolean stock, final long createdMs, final float[] embedding) {
            if (embedding != null && embedding.length != dimension) {
                throw new IllegalArgumentException("embedding of item " + itemId + " has " + embedding.length
                        + " components, the store has " + dimension);
            }
            Integer ordinal = ordinals.get(itemId);
            if (ordinal == null) {
                ordinal = itemCount;
                if (ordinal == itemIds.length) {
                    allocate(itemIds.length * 2);
                }
                itemIds[ordinal] = itemId;
            }
            category[ordinal] = cat;
            inStock[ordinal] = stock;
            createdAtMs[ordinal] = createdMs;
            if (embedding != null) {
                System.arraycopy(embedding, 0, embeddings, ordinal * dimension, dimension);
            }
            if (ordinal == itemCount) {
                itemCount++;
                ordinals.put(itemId, ordinal);
            }
            version++;
            return ordinal;
        }

        @Override
        public void setInStock(final int ordinal, final boolean stock) {
            inStock[ordinal] = stock;
            version++;
        }

        @Override
        public void putUserEmbedding(final long userId, final float[] embedding) {
            if (embedding.length != dimension) {
                throw new IllegalArgumentException("embedding of user " + userId + " has " + embedding.length
                        + " components, the store has " + dimension);
            }
            final UserState state = users.computeIfAbsent(userId, id -> new UserState());
            state.beginWrite();
            state.embedding = embedding.clone();
            state.seq++;
        }

        @Override
        public void recordInteraction(final long userId, final int ordinal, final long tsMs, final float weight) {
            final UserState state = users.computeIfAbsent(userId, id -> new UserState());
            state.beginWrite();
            state.head = (state.head + 1) % UserRow.MAX_RECENT;
            state.ring[state.head] = ordinal;
            state.ringTs[state.head] = tsMs;
            state.count = Math.min(state.count + 1, UserRow.MAX_RECENT);
            state.weight += weight;
            state.seq++;
            interactions[ordinal] += weight;
            version++;
        }
    }
}
