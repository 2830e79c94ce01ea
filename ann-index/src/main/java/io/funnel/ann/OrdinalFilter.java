package io.funnel.ann;

/**
 * A predicate over item ordinals that a search must respect (category, in stock, policy). Implementations are
 * called on the searching thread, many times per search: keep them allocation-free and cheap.
 */
@FunctionalInterface
public interface OrdinalFilter {
    /** Accepts every ordinal. */
    OrdinalFilter ALL = ordinal -> true;

    /** Returns {@code true} if the item at {@code ordinal} may be returned. */
    boolean test(int ordinal);
}
