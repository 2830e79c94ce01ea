package io.funnel.engine.retrieval;

import io.funnel.engine.data.Dataset;
import java.util.Arrays;

/**
 * Exponentially decayed interaction counts per item at two speeds: a slow one (popularity, half-life of days) and a
 * fast one (trending, half-life of the trending window). Trending is the fast rate relative to the slow one, so an
 * item rising now beats one that has always been big. Top lists (global, per category, trending, newest) are
 * rebuilt by the writer every refresh interval and published as an immutable {@link Snapshot}.
 *
 * <p>Threading: {@link #record} and {@link #refresh} are called by the single event applier; readers call
 * {@link #snapshot()} and the score getters from any thread (the arrays are read racily but a float read is
 * atomic, and a slightly stale score is fine).
 */
public final class Popularity {
    private static final double LN2 = Math.log(2);
    private final ItemAttributes attributes;
    private final int categoryCount;
    private final double slowRate; // per millisecond
    private final double fastRate;
    private final int listSize;
    private volatile long originMs;
    private final double[] slow;
    private final double[] fast;
    private volatile Snapshot snapshot;
    private long lastEventMs;

    /** The published top lists; immutable. */
    public record Snapshot(int[] global, float[] globalScores, int[][] byCategory, float[][] byCategoryScores,
            int[] trending, float[] trendingScores, int[] fresh, long atMs) {}

    /**
     * @param attributes category, stock and age of each item ordinal
     * @param halfLifeHours half-life of the popularity counts
     * @param trendingWindowMinutes half-life of the trending counts
     * @param listSize length of each published top list
     * @param originMs time origin of the decay, epoch ms (any time near the data)
     */
    public Popularity(final ItemAttributes attributes, final int categoryCount, final double halfLifeHours,
            final int trendingWindowMinutes, final int listSize, final long originMs) {
        this.attributes = attributes;
        this.categoryCount = categoryCount;
        this.slowRate = LN2 / (halfLifeHours * 3_600_000.0);
        this.fastRate = LN2 / (trendingWindowMinutes * 60_000.0);
        this.listSize = listSize;
        this.originMs = originMs;
        this.slow = new double[attributes.size()];
        this.fast = new double[attributes.size()];
        this.lastEventMs = originMs;
    }

    /** Builds counters from a whole log and publishes the first snapshot. */
    public static Popularity build(final Dataset data, final ItemAttributes attributes, final double halfLifeHours,
            final int trendingWindowMinutes, final int listSize) {
        final long origin = data.size() > 0 ? data.tsMs(data.size() - 1) : System.currentTimeMillis();
        final Popularity p = new Popularity(attributes, data.categoryCount(), halfLifeHours, trendingWindowMinutes,
                listSize, origin);
        for (int e = 0; e < data.size(); e++) {
            p.record(data.item(e), io.funnel.codecs.EventType.ofCode(data.type(e)).weight(), data.tsMs(e));
        }
        p.refresh(origin);
        return p;
    }

    /** Adds an interaction of {@code weight} with {@code ordinal} at {@code tsMs}. Writer thread only. */
    public void record(final int ordinal, final float weight, final long tsMs) {
        // Counts are kept in "origin units": weight * e^(rate * (t - origin)); comparing items needs no decay pass.
        if (fastRate * (tsMs - originMs) > 500) {
            rebase(tsMs);
        }
        final double dt = tsMs - originMs;
        slow[ordinal] += weight * Math.exp(slowRate * dt);
        fast[ordinal] += weight * Math.exp(fastRate * dt);
        lastEventMs = Math.max(lastEventMs, tsMs);
    }

    /** Moves the time origin forward so that the growing exponent never overflows (every ~3 weeks of events). */
    private void rebase(final long newOriginMs) {
        final double slowScale = Math.exp(-slowRate * (newOriginMs - originMs));
        final double fastScale = Math.exp(-fastRate * (newOriginMs - originMs));
        for (int i = 0; i < slow.length; i++) {
            slow[i] *= slowScale;
            fast[i] *= fastScale;
        }
        originMs = newOriginMs;
    }

    /** Decayed popularity of an item as of {@code nowMs} (events-equivalent). */
    public float popularity(final int ordinal, final long nowMs) {
        return (float) (slow[ordinal] * Math.exp(-slowRate * (nowMs - originMs)));
    }

    /** Trending ratio: fast rate over slow rate, smoothed; around 1 for a steady item, above for a rising one. */
    public float trending(final int ordinal) {
        return (float) trendingRaw(ordinal, lastEventMs);
    }

    private double trendingRaw(final int ordinal, final long nowMs) {
        final double f = fast[ordinal] * Math.exp(Math.max(-700, -fastRate * (nowMs - originMs)));
        final double s = slow[ordinal] * Math.exp(-slowRate * (nowMs - originMs));
        // Normalise to "per window" units and add a prior so items with one event do not dominate.
        return (f * fastRate) / (s * slowRate + 3 * fastRate);
    }

    /** Rebuilds and publishes the top lists. Writer thread only; O(items × log listSize). */
    public void refresh(final long nowMs) {
        final int n = slow.length;
        final TopList global = new TopList(listSize);
        final TopList trend = new TopList(listSize);
        final TopList fresh = new TopList(listSize);
        final TopList[] perCategory = new TopList[categoryCount];
        for (int c = 0; c < categoryCount; c++) {
            perCategory[c] = new TopList(listSize);
        }
        final double slowDecay = Math.exp(-slowRate * (nowMs - originMs));
        for (int i = 0; i < n; i++) {
            if (attributes.inStock(i)) {
                // Newest first; the score is "minus age in days" so the list sorts by recency.
                fresh.offer(i, (float) (-(nowMs - attributes.createdAtMs(i)) / 86_400_000.0));
            }
            final float pop = (float) (slow[i] * slowDecay);
            if (pop <= 0) {
                continue;
            }
            global.offer(i, pop);
            final int c = attributes.category(i);
            if (c >= 0 && c < categoryCount) {
                perCategory[c].offer(i, pop);
            }
            trend.offer(i, (float) trendingRaw(i, nowMs));
        }
        final int[][] cats = new int[categoryCount][];
        final float[][] catScores = new float[categoryCount][];
        for (int c = 0; c < categoryCount; c++) {
            cats[c] = perCategory[c].ordinals();
            catScores[c] = perCategory[c].scores();
        }
        snapshot = new Snapshot(global.ordinals(), global.scores(), cats, catScores, trend.ordinals(),
                trend.scores(), fresh.ordinals(), nowMs);
    }

    /** The latest published top lists. */
    public Snapshot snapshot() {
        return snapshot;
    }

    /** Time of the latest recorded event, epoch ms. */
    public long lastEventMs() {
        return lastEventMs;
    }

    /** Number of categories. */
    public int categoryCount() {
        return categoryCount;
    }

    /** A small sorted top-k accumulator used only at refresh time. */
    private static final class TopList {
        private final int[] ordinals;
        private final float[] scores;
        private int size;

        TopList(final int k) {
            ordinals = new int[k];
            scores = new float[k];
        }

        void offer(final int ordinal, final float score) {
            final int k = ordinals.length;
            if (size == k && score <= scores[k - 1]) {
                return;
            }
            int i = size < k ? size++ : k - 1;
            while (i > 0 && scores[i - 1] < score) {
                scores[i] = scores[i - 1];
                ordinals[i] = ordinals[i - 1];
                i--;
            }
            scores[i] = score;
            ordinals[i] = ordinal;
        }

        int[] ordinals() {
            return Arrays.copyOf(ordinals, size);
        }

        float[] scores() {
            return Arrays.copyOf(scores, size);
        }
    }
}
