package io.funnel.engine.retrieval;

import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every item each user has interacted with, for the "already seen" filter (the recent-items ring in the feature
 * store only holds the latest few). Each user's set is a sorted {@code int[]} replaced as a whole on every change,
 * so readers never see a half-updated set and need no lock.
 *
 * <p>Threading: one writer ({@link #add}); lock-free readers ({@link #get}).
 */
public final class SeenItems {
    private static final int[] NONE = new int[0];
    private final ConcurrentHashMap<Long, int[]> byUser = new ConcurrentHashMap<>();

    /** The sorted ordinals {@code userId} has seen (shared, do not modify); empty if none. */
    public int[] get(final long userId) {
        final int[] seen = byUser.get(userId);
        return seen == null ? NONE : seen;
    }

    /** Whether {@code ordinal} is in a set returned by {@link #get}. */
    public static boolean contains(final int[] seen, final int ordinal) {
        return seen.length > 0 && Arrays.binarySearch(seen, ordinal) >= 0;
    }

    /** Records that {@code userId} saw {@code ordinal}. Writer thread only. */
    public void add(final long userId, final int ordinal) {
        final int[] current = get(userId);
        final int at = Arrays.binarySearch(current, ordinal);
        if (at >= 0) {
            return;
        }
        final int insert = -at - 1;
        final int[] next = new int[current.length + 1];
        System.arraycopy(current, 0, next, 0, insert);
        next[insert] = ordinal;
        System.arraycopy(current, insert, next, insert + 1, current.length - insert);
        byUser.put(userId, next);
    }

    /** Bulk-loads a user's set at start-up (sorted and de-duplicated here). */
    public void put(final long userId, final int[] ordinals, final int count) {
        final int[] sorted = Arrays.copyOf(ordinals, count);
        Arrays.sort(sorted);
        int w = 0;
        for (int i = 0; i < sorted.length; i++) {
            if (i == 0 || sorted[i] != sorted[i - 1]) {
                sorted[w++] = sorted[i];
            }
        }
        byUser.put(userId, Arrays.copyOf(sorted, w));
    }

    /** Number of users with a history. */
    public int userCount() {
        return byUser.size();
    }
}
