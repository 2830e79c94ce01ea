package io.funnel.engine.retrieval;

import io.funnel.engine.pipeline.TopN;
import java.util.Arrays;
import java.util.stream.IntStream;
import org.agrona.collections.Long2LongHashMap;

/**
 * Each user's most similar users by the items they share, and, per request, how much of a user's neighbourhood has
 * interacted with an item (the ranker's {@code user_knn} feature).
 *
 * <p>Similarity is the cosine of two users' item sets, {@code |I_u ∩ I_v| / sqrt(|I_u| |I_v|)}; each user keeps its
 * {@code k} most similar users. To bound the build, an item shared by more than {@value #MAX_USERS_PER_ITEM} users
 * links only the last {@value #MAX_USERS_PER_ITEM} of them (in the order users first appear in the log), so overlaps
 * through very popular items are undercounted: build cost is at most events × {@value #MAX_USERS_PER_ITEM}. Built
 * once per state (start-up, or a rebuild); feedback events change the neighbours' item sets ({@link SeenItems}),
 * which {@link Accumulator#load} reads live, but not who the neighbours are.
 *
 * <p>Threading: immutable after {@link #build}; the build itself runs on the common fork-join pool and gives the
 * same neighbours whatever the thread timing. An {@link Accumulator} is confined to one thread.
 */
public final class UserNeighbours {
    /** Users one item links at most during the build. */
    public static final int MAX_USERS_PER_ITEM = 512;
    /** No neighbours for anybody (the feature is 0). */
    public static final UserNeighbours NONE = new UserNeighbours(0, new Long2LongHashMap(-1), new long[0],
            new float[0], new int[0]);

    private final int k;
    private final Long2LongHashMap slotOf;
    private final long[] neighbour;
    private final float[] weight;
    private final int[] count;

    private UserNeighbours(final int k, final Long2LongHashMap slotOf, final long[] neighbour, final float[] weight,
            final int[] count) {
        this.k = k;
        this.slotOf = slotOf;
        this.neighbour = neighbour;
        this.weight = weight;
        this.count = count;
    }

    /**
     * Finds every user's {@code k} nearest users.
     *
     * @param userIds the users, index = the user's position in {@code itemsOf}
     * @param itemsOf per user, the distinct item ordinals it interacted with (any order; not modified)
     * @param itemCount ordinals are below this
     * @param k neighbours kept per user; 0 builds {@link #NONE}
     */
    public static UserNeighbours build(final long[] userIds, final int[][] itemsOf, final int itemCount, final int k) {
        if (k < 0) {
            throw new IllegalArgumentException("k must be >= 0, got " + k);
        }
        if (userIds.length != itemsOf.length) {
            throw new IllegalArgumentException(userIds.length + " user ids but " + itemsOf.length + " item sets");
        }
        final int users = userIds.length;
        if (k == 0 || users == 0) {
            return NONE;
        }
        final int[][] usersOf = usersOf(itemsOf, itemCount);
        final long[] neighbour = new long[users * k];
        final float[] weight = new float[users * k];
        final int[] count = new int[users];
        final ThreadLocal<Scratch> scratch = ThreadLocal.withInitial(() -> new Scratch(users));
        IntStream.range(0, users).parallel().forEach(u -> {
            final Scratch s = scratch.get();
            int touched = 0;
            for (final int item : itemsOf[u]) {
                for (final int v : usersOf[item]) {
                    if (v == u) {
                        continue;
                    }
                    if (s.overlap[v] == 0) {
                        s.touched[touched++] = v;
                    }
                    s.overlap[v]++;
                }
            }
            final double own = itemsOf[u].length;
            for (int t = 0; t < touched; t++) {
                final int v = s.touched[t];
                s.similarity[t] = (float) (s.overlap[v] / Math.sqrt(own * itemsOf[v].length));
            }
            final int kept = TopN.select(s.similarity, touched, k, s.order, s.packed);
            for (int j = 0; j < kept; j++) {
                neighbour[u * k + j] = userIds[s.touched[s.order[j]]];
                weight[u * k + j] = s.similarity[s.order[j]];
            }
            count[u] = kept;
            for (int t = 0; t < touched; t++) {
                s.overlap[s.touched[t]] = 0;
            }
        });
        final Long2LongHashMap slotOf = new Long2LongHashMap(users * 2, 0.65f, -1);
        for (int u = 0; u < users; u++) {
            slotOf.put(userIds[u], u);
        }
        return new UserNeighbours(k, slotOf, neighbour, weight, count);
    }

    /** Item → the last {@link #MAX_USERS_PER_ITEM} users (by index) who interacted with it. */
    private static int[][] usersOf(final int[][] itemsOf, final int itemCount) {
        final int[] total = new int[itemCount];
        for (final int[] items : itemsOf) {
            for (final int item : items) {
                total[item]++;
            }
        }
        final int[][] usersOf = new int[itemCount][];
        final int[] skip = new int[itemCount];
        for (int i = 0; i < itemCount; i++) {
            usersOf[i] = new int[Math.min(total[i], MAX_USERS_PER_ITEM)];
            skip[i] = total[i] - usersOf[i].length;
        }
        final int[] filled = new int[itemCount];
        for (int u = 0; u < itemsOf.length; u++) {
            for (final int item : itemsOf[u]) {
                if (skip[item] > 0) {
                    skip[item]--;
                } else {
                    usersOf[item][filled[item]++] = u;
                }
            }
        }
        return usersOf;
    }

    /** Per build thread: overlap counts by user, and the users touched for the current one. */
    private static final class Scratch {
        final int[] overlap;
        final int[] touched;
        final float[] similarity;
        final int[] order;
        final long[] packed;

        Scratch(final int users) {
            overlap = new int[users];
            touched = new int[users];
            similarity = new float[users];
            order = new int[users];
            packed = new long[users];
        }
    }

    /** Neighbours kept per user (0 for {@link #NONE}). */
    public int k() {
        return k;
    }

    /** Number of neighbours {@code userId} has (0 for a user unknown at build time). */
    public int neighbourCount(final long userId) {
        final long slot = slotOf.get(userId);
        return slot < 0 ? 0 : count[(int) slot];
    }

    /** The {@code j}-th nearest neighbour of {@code userId}, {@code j < neighbourCount(userId)}. */
    public long neighbour(final long userId, final int j) {
        return neighbour[(int) slotOf.get(userId) * k + check(userId, j)];
    }

    /** The cosine similarity of {@code userId} and its {@code j}-th neighbour. */
    public float weight(final long userId, final int j) {
        return weight[(int) slotOf.get(userId) * k + check(userId, j)];
    }

    private int check(final long userId, final int j) {
        if (j < 0 || j >= neighbourCount(userId)) {
            throw new IndexOutOfBoundsException("neighbour " + j + " of user " + userId + ", who has "
                    + neighbourCount(userId));
        }
        return j;
    }

    /**
     * Per-request scratch: after {@link #load}, {@link #share} says what part of the user's neighbour weight falls on
     * users who have interacted with an item. Cost of a load: the sizes of the neighbours' item sets.
     *
     * <p>Threading: confined to one thread (the engine keeps one per event loop).
     */
    public static final class Accumulator {
        private float[] byItem = new float[0];
        private int[] touched = new int[256];
        private int touchedCount;
        private float total;

        /** Accumulates {@code userId}'s neighbours' current item sets (clears the previous user's first). */
        public void load(final UserNeighbours neighbours, final long userId, final SeenItems seen) {
            for (int t = 0; t < touchedCount; t++) {
                byItem[touched[t]] = 0f;
            }
            touchedCount = 0;
            total = 0f;
            final long slot = neighbours.slotOf.get(userId);
            if (slot < 0) {
                return;
            }
            final int base = (int) slot * neighbours.k;
            for (int j = 0; j < neighbours.count[(int) slot]; j++) {
                final float w = neighbours.weight[base + j];
                total += w;
                for (final int item : seen.get(neighbours.neighbour[base + j])) {
                    if (item >= byItem.length) {
                        byItem = Arrays.copyOf(byItem, Math.max(item + 1, byItem.length * 2));
                    }
                    if (byItem[item] == 0f) {
                        if (touchedCount == touched.length) {
                            touched = Arrays.copyOf(touched, touched.length * 2);
                        }
                        touched[touchedCount++] = item;
                    }
                    byItem[item] += w;
                }
            }
        }

        /** Share of the loaded user's neighbour weight on users who interacted with {@code ordinal}, 0..1. */
        public float share(final int ordinal) {
            return total == 0f || ordinal >= byItem.length ? 0f : byItem[ordinal] / total;
        }
    }
}
