package io.funnel.engine.offline;

import io.funnel.engine.data.Dataset;
import java.util.Arrays;
import org.agrona.collections.Long2LongHashMap;

/**
 * Users of a log numbered in order of first appearance, and each event's user and item number: the layout the
 * embedding trainers take.
 *
 * @param userOf  per event, its user's number
 * @param itemOf  per event, its item ordinal
 * @param userIds per user number, the external id ({@code count} of them are set)
 * @param count   number of distinct users
 */
record UserIndex(int[] userOf, int[] itemOf, long[] userIds, int count) {
    /** Numbers the users of {@code data}. */
    static UserIndex of(final Dataset data) {
        final int n = data.size();
        final Long2LongHashMap index = new Long2LongHashMap(-1);
        final int[] userOf = new int[n];
        final int[] itemOf = new int[n];
        long[] userIds = new long[1024];
        for (int e = 0; e < n; e++) {
            long u = index.get(data.userId(e));
            if (u < 0) {
                u = index.size();
                index.put(data.userId(e), u);
                if (u == userIds.length) {
                    userIds = Arrays.copyOf(userIds, userIds.length * 2);
                }
                userIds[(int) u] = data.userId(e);
            }
            userOf[e] = (int) u;
            itemOf[e] = data.item(e);
        }
        return new UserIndex(userOf, itemOf, userIds, index.size());
    }
}
