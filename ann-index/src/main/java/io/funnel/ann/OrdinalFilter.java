package io.funnel.ann;

import java.util.BitSet;

/**
 * A predicate over item ordinals that a search must respect (category, in stock, policy). Implementations are
 * called on the searching thread, many times per search: keep them allocation-free and cheap.
 */
@FunctionalInterface
public interface OrdinalFilter {
    /** Accepts every ordinal. */
    OrdinalFilter ALL = ordinal -> true;

    /** Returned by {@link #nextAccepted} when a filter cannot enumerate what it accepts. */
    int NOT_ENUMERABLE = -2;

    /** Returns {@code true} if the item at {@code ordinal} may be returned. */
    boolean test(int ordinal);

    /**
     * Optional fast path for very selective filters: the smallest accepted ordinal {@code >= from}, or -1 when there
     * is none. Filters backed by a bit set override it so an exact scan visits only accepted ordinals; the default
     * returns {@link #NOT_ENUMERABLE} and indexes fall back to calling {@link #test} on every ordinal.
     */
    default int nextAccepted(final int from) {
        return NOT_ENUMERABLE;
    }

    /**
     * A filter over {@code accepted} (not copied: changes to the set are seen by later searches; do not change it
     * while a search runs). It enumerates its ordinals for exact scans.
     */
    static OrdinalFilter of(final BitSet accepted) {
        return new OrdinalFilter() {
            @Override
            public boolean test(final int ordinal) {
                return accepted.get(ordinal);
            }

            @Override
            public int nextAccepted(final int from) {
                return accepted.nextSetBit(from);
            }
        };
    }
}
