package io.funnel.codecs;

import java.util.Arrays;

/**
 * A decoded recommendation request. Mutable and reusable: decoders overwrite it, so one instance per request slot
 * avoids allocation. Owned by one thread at a time.
 */
public final class RecommendRequest {
    /** Largest {@code count} a caller may ask for. */
    public static final int MAX_COUNT = 500;
    /** Largest number of explicitly excluded items. */
    public static final int MAX_EXCLUDE = 1000;
    /** Category value meaning "any category". */
    public static final int ANY_CATEGORY = -1;

    private long userId;
    private int count;
    private boolean explain;
    private int category;
    private String policy;
    private long budgetMicros;
    private long[] exclude = new long[16];
    private int excludeCount;
    /** Largest number of boosts in one request. */
    public static final int MAX_BOOSTS = 100;
    private int[] boostCategories = new int[4];
    private float[] boostCategoryFactors = new float[4];
    private int boostCategoryCount;
    private long[] boostItems = new long[4];
    private float[] boostItemFactors = new float[4];
    private int boostItemCount;

    /** Resets every field to its default. */
    public RecommendRequest clear() {
        userId = 0;
        count = 10;
        explain = false;
        category = ANY_CATEGORY;
        policy = null;
        budgetMicros = 0;
        excludeCount = 0;
        boostCategoryCount = 0;
        boostItemCount = 0;
        return this;
    }

    public RecommendRequest() {
        clear();
    }

    /** The user asking; an unknown user gets a cold-start answer. */
    public long userId() {
        return userId;
    }

    public RecommendRequest userId(final long value) {
        userId = value;
        return this;
    }

    /** Number of items wanted, 1..{@link #MAX_COUNT} (default 10). */
    public int count() {
        return count;
    }

    public RecommendRequest count(final int value) {
        count = value;
        return this;
    }

    /** Whether the response carries per-stage scores. */
    public boolean explain() {
        return explain;
    }

    public RecommendRequest explain(final boolean value) {
        explain = value;
        return this;
    }

    /** Restricts results to one category, or {@link #ANY_CATEGORY}. */
    public int category() {
        return category;
    }

    public RecommendRequest category(final int value) {
        category = value;
        return this;
    }

    /** Name of the re-rank policy to apply, or {@code null} for the surface default. */
    public String policy() {
        return policy;
    }

    public RecommendRequest policy(final String value) {
        policy = value;
        return this;
    }

    /**
     * The caller's own deadline for this request, microseconds, or 0 for the server's configured total budget. The
     * server uses the smaller of the two (a caller can tighten the deadline, never loosen it). The binary protocol
     * carries it ({@code budgetMicros}); the JSON API has no such field and leaves it 0.
     */
    public long budgetMicros() {
        return budgetMicros;
    }

    public RecommendRequest budgetMicros(final long value) {
        budgetMicros = value;
        return this;
    }

    /** Number of item ids the caller asked to exclude. */
    public int excludeCount() {
        return excludeCount;
    }

    /** The {@code i}-th excluded item id. */
    public long exclude(final int i) {
        return exclude[i];
    }

    /** Number of per-request category boosts. */
    public int boostCategoryCount() {
        return boostCategoryCount;
    }

    public int boostCategory(final int i) {
        return boostCategories[i];
    }

    /** Relevance multiplier of the {@code i}-th boosted category. */
    public float boostCategoryFactor(final int i) {
        return boostCategoryFactors[i];
    }

    /** Multiplies the relevance of items in {@code category} by {@code factor} for this request. */
    public RecommendRequest addBoostCategory(final int category, final float factor) {
        if (boostCategoryCount == boostCategories.length) {
            boostCategories = Arrays.copyOf(boostCategories, boostCategoryCount * 2);
            boostCategoryFactors = Arrays.copyOf(boostCategoryFactors, boostCategoryCount * 2);
        }
        boostCategories[boostCategoryCount] = category;
        boostCategoryFactors[boostCategoryCount++] = factor;
        return this;
    }

    /** Number of per-request item boosts. */
    public int boostItemCount() {
        return boostItemCount;
    }

    public long boostItem(final int i) {
        return boostItems[i];
    }

    /** Relevance multiplier of the {@code i}-th boosted item. */
    public float boostItemFactor(final int i) {
        return boostItemFactors[i];
    }

    /** Multiplies the relevance of item {@code itemId} by {@code factor} for this request. */
    public RecommendRequest addBoostItem(final long itemId, final float factor) {
        if (boostItemCount == boostItems.length) {
            boostItems = Arrays.copyOf(boostItems, boostItemCount * 2);
            boostItemFactors = Arrays.copyOf(boostItemFactors, boostItemCount * 2);
        }
        boostItems[boostItemCount] = itemId;
        boostItemFactors[boostItemCount++] = factor;
        return this;
    }

    /** Adds an item id to exclude. */
    public RecommendRequest addExclude(final long itemId) {
        if (excludeCount == exclude.length) {
            exclude = Arrays.copyOf(exclude, exclude.length * 2);
        }
        exclude[excludeCount++] = itemId;
        return this;
    }
}
