package io.funnel.ann;

/**
 * A reusable holder for the result of one search: parallel arrays of ordinals and scores, best first. Owned by one
 * thread; reuse it across searches to avoid allocation.
 */
public final class SearchResults {
    private int[] ordinals;
    private float[] scores;
    private int count;

    /** Creates a holder that can take {@code capacity} results without growing. */
    public SearchResults(final int capacity) {
        ordinals = new int[Math.max(1, capacity)];
        scores = new float[Math.max(1, capacity)];
    }

    /** Clears the holder and makes sure it can take {@code k} results. */
    public void reset(final int k) {
        if (ordinals.length < k) {
            ordinals = new int[k];
            scores = new float[k];
        }
        count = 0;
    }

    /** Appends one result; callers append in best-first order. */
    public void add(final int ordinal, final float score) {
        ordinals[count] = ordinal;
        scores[count] = score;
        count++;
    }

    /** Number of results held. */
    public int count() {
        return count;
    }

    /** Ordinal of the {@code i}-th best result. */
    public int ordinal(final int i) {
        return ordinals[i];
    }

    /** Score (higher is better) of the {@code i}-th best result. */
    public float score(final int i) {
        return scores[i];
    }
}
