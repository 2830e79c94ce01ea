package io.funnel.engine.pipeline;

import java.util.Arrays;

/**
 * One retrieval channel's output: item ordinals with the channel's score for each (higher is better), in no
 * particular order. Reusable; owned by the thread running the channel until it is handed to the merge stage.
 */
public final class Candidates {
    private int[] ordinals;
    private float[] scores;
    private int count;

    public Candidates(final int capacity) {
        ordinals = new int[Math.max(1, capacity)];
        scores = new float[Math.max(1, capacity)];
    }

    /** Empties the list. */
    public Candidates clear() {
        count = 0;
        return this;
    }

    /** Appends one candidate. */
    public void add(final int ordinal, final float score) {
        if (count == ordinals.length) {
            ordinals = Arrays.copyOf(ordinals, count * 2);
            scores = Arrays.copyOf(scores, count * 2);
        }
        ordinals[count] = ordinal;
        scores[count] = score;
        count++;
    }

    public int count() {
        return count;
    }

    public int ordinal(final int i) {
        return ordinals[i];
    }

    public float score(final int i) {
        return scores[i];
    }

    /** Highest score in the list, or 0 when empty. */
    public float maxScore() {
        float max = 0f;
        for (int i = 0; i < count; i++) {
            max = Math.max(max, scores[i]);
        }
        return max;
    }
}
