package io.funnel.engine.rerank;

import org.agrona.collections.Int2IntHashMap;

/**
 * Constraints on the list being built, checked slot by slot: the sliding-window rule ("no more than
 * {@code windowMax} of a category in any {@code windowSize} consecutive slots") and quotas per category and per
 * creator over the whole list. A selector asks {@link #allows} before placing a candidate and calls
 * {@link #place} after.
 *
 * <p>Threading: per-request state, owned by one thread; {@link #reset} between lists.
 */
public final class SlotConstraints {
    private final int windowSize;
    private final int windowMax;
    private final int maxPerCategory;
    private final int maxPerCreator;
    private final Int2IntHashMap perCategory = new Int2IntHashMap(0);
    private final Int2IntHashMap perCreator = new Int2IntHashMap(0);
    private int[] placedCategories = new int[64];
    private int placed;

    /**
     * @param windowSize 0 for no window rule
     * @param maxPerCategory 0 for no category quota
     * @param maxPerCreator 0 for no creator quota
     */
    public SlotConstraints(final int windowSize, final int windowMax, final int maxPerCategory,
            final int maxPerCreator) {
        this.windowSize = windowSize;
        this.windowMax = windowMax;
        this.maxPerCategory = maxPerCategory;
        this.maxPerCreator = maxPerCreator;
    }

    /** No constraint at all. */
    public static SlotConstraints none() {
        return new SlotConstraints(0, 0, 0, 0);
    }

    /** Whether any rule is active. */
    public boolean active() {
        return windowSize > 0 || maxPerCategory > 0 || maxPerCreator > 0;
    }

    /** Starts a new list. */
    public void reset() {
        perCategory.clear();
        perCreator.clear();
        placed = 0;
    }

    /** Whether an item of {@code category} by {@code creator} may take the next slot. */
    public boolean allows(final int category, final int creator) {
        if (maxPerCategory > 0 && perCategory.get(category) >= maxPerCategory) {
            return false;
        }
        if (maxPerCreator > 0 && creator >= 0 && perCreator.get(creator) >= maxPerCreator) {
            return false;
        }
        if (windowSize > 0) {
            // The new slot closes a window with the previous windowSize - 1 slots.
            int same = 1;
            for (int i = Math.max(0, placed - (windowSize - 1)); i < placed; i++) {
                if (placedCategories[i] == category) {
                    same++;
                }
            }
            return same <= windowMax;
        }
        return true;
    }

    /** Records that an item of {@code category} by {@code creator} took the next slot. */
    public void place(final int category, final int creator) {
        if (placed == placedCategories.length) {
            placedCategories = java.util.Arrays.copyOf(placedCategories, placed * 2);
        }
        placedCategories[placed++] = category;
        if (maxPerCategory > 0) {
            perCategory.put(category, perCategory.get(category) + 1);
        }
        if (maxPerCreator > 0 && creator >= 0) {
            perCreator.put(creator, perCreator.get(creator) + 1);
        }
    }
}
