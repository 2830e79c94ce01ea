package io.funnel.engine.pipeline;

import java.util.Arrays;
import org.agrona.collections.Int2IntHashMap;

/**
 * The merged, de-duplicated candidates of one request. Each candidate keeps a bit mask of the channels that
 * retrieved it and each channel's score normalised to [0, 1] (0 where the channel did not retrieve it). Stages
 * filter it in place ({@link #retain}) and sort it ({@link #reorder}). Owned by the request's thread.
 */
public final class CandidateSet {
    private final int channelCount;
    private final Int2IntHashMap slots = new Int2IntHashMap(1024, 0.6f, -1);
    private int[] ordinals;
    private int[] masks;
    private float[] channelScores; // count x channelCount, row-major
    private float[] scores; // the current stage's score per candidate
    private int count;
    private int[] tmpOrdinals = new int[0];
    private int[] tmpMasks = new int[0];
    private float[] tmpScores = new float[0];
    private float[] tmpChannel = new float[0];

    public CandidateSet(final int channelCount, final int capacity) {
        this.channelCount = channelCount;
        ordinals = new int[capacity];
        masks = new int[capacity];
        channelScores = new float[capacity * channelCount];
        scores = new float[capacity];
    }

    /** Empties the set. */
    public void clear() {
        if (count > 0) {
            slots.clear();
        }
        count = 0;
    }

    /** Merges one channel's output, normalising its scores by the channel's maximum. */
    public void merge(final int channel, final Candidates in) {
        final float max = in.maxScore();
        final float scale = max > 0 ? 1f / max : 0f;
        for (int i = 0; i < in.count(); i++) {
            final int ordinal = in.ordinal(i);
            int slot = slots.get(ordinal);
            if (slot < 0) {
                slot = append(ordinal);
            }
            masks[slot] |= 1 << channel;
            final float normalised = Math.max(0f, in.score(i) * scale);
            final int at = slot * channelCount + channel;
            channelScores[at] = Math.max(channelScores[at], normalised);
        }
    }

    private int append(final int ordinal) {
        if (count == ordinals.length) {
            final int n = count * 2;
            ordinals = Arrays.copyOf(ordinals, n);
            masks = Arrays.copyOf(masks, n);
            channelScores = Arrays.copyOf(channelScores, n * channelCount);
            scores = Arrays.copyOf(scores, n);
        }
        final int slot = count++;
        ordinals[slot] = ordinal;
        masks[slot] = 0;
        Arrays.fill(channelScores, slot * channelCount, (slot + 1) * channelCount, 0f);
        scores[slot] = 0f;
        slots.put(ordinal, slot);
        return slot;
    }

    public int count() {
        return count;
    }

    public int channelCount() {
        return channelCount;
    }

    public int ordinal(final int i) {
        return ordinals[i];
    }

    /** Ordinals array (valid up to {@link #count()}); read-only for callers. */
    public int[] ordinals() {
        return ordinals;
    }

    public int mask(final int i) {
        return masks[i];
    }

    /** Normalised score of {@code channel} for candidate {@code i}. */
    public float channelScore(final int i, final int channel) {
        return channelScores[i * channelCount + channel];
    }

    public float score(final int i) {
        return scores[i];
    }

    public void score(final int i, final float value) {
        scores[i] = value;
    }

    /** Whether the set holds {@code ordinal}. */
    public boolean contains(final int ordinal) {
        return slots.get(ordinal) >= 0;
    }

    /**
     * Keeps the candidates whose {@code keep[i]} is true, preserving order. The ordinal index is rebuilt lazily: after
     * this call {@link #contains} is no longer valid until {@link #clear()}.
     *
     * @return the number kept
     */
    public int retain(final boolean[] keep) {
        int w = 0;
        for (int r = 0; r < count; r++) {
            if (keep[r]) {
                move(r, w++);
            }
        }
        count = w;
        return w;
    }

    /**
     * Reorders the set to {@code order} (positions into the current arrays) and truncates it to {@code n}. Used to
     * sort by score and keep the top N.
     */
    public void reorder(final int[] order, final int n) {
        if (tmpOrdinals.length < n) {
            tmpOrdinals = new int[ordinals.length];
            tmpMasks = new int[ordinals.length];
            tmpScores = new float[ordinals.length];
            tmpChannel = new float[ordinals.length * channelCount];
        }
        for (int i = 0; i < n; i++) {
            final int from = order[i];
            tmpOrdinals[i] = ordinals[from];
            tmpMasks[i] = masks[from];
            tmpScores[i] = scores[from];
            System.arraycopy(channelScores, from * channelCount, tmpChannel, i * channelCount, channelCount);
        }
        System.arraycopy(tmpOrdinals, 0, ordinals, 0, n);
        System.arraycopy(tmpMasks, 0, masks, 0, n);
        System.arraycopy(tmpScores, 0, scores, 0, n);
        System.arraycopy(tmpChannel, 0, channelScores, 0, n * channelCount);
        count = n;
    }

    private void move(final int from, final int to) {
        if (from == to) {
            return;
        }
        ordinals[to] = ordinals[from];
        masks[to] = masks[from];
        scores[to] = scores[from];
        System.arraycopy(channelScores, from * channelCount, channelScores, to * channelCount, channelCount);
    }
}
