package io.funnel.engine.offline;

import io.funnel.codecs.EventType;
import io.funnel.engine.config.FunnelConfig;
import io.funnel.engine.data.Dataset;
import io.funnel.engine.metrics.FunnelMetrics;
import io.funnel.engine.pipeline.Pipeline;
import io.funnel.engine.pipeline.RankFeatures;
import io.funnel.engine.pipeline.RequestContext;
import io.funnel.model.Scorer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.agrona.collections.IntHashSet;
import org.agrona.collections.Long2LongHashMap;

/**
 * Training rows for the ranking models, built the way they will be served: a state is built from the first 90% of
 * a log, the funnel runs up to pre-rank for users active in the last 10%, and each surviving candidate becomes a row
 * of {@link RankFeatures}, labelled by whether the user went on to interact with it ({@code click}) and to like or
 * buy it ({@code like}). All positives are kept with a uniform sample of about 24 negatives per user, so the classes
 * are not too unbalanced; every candidate (unsampled) is also kept, up to a cap, to record the distribution of
 * predictions that serving will see.
 *
 * <p>Threading: confined to the building thread.
 */
public final class RankingExamples {
    private static final int REFERENCE_ROWS = 200_000;

    private final float[] x;
    private final float[] click;
    private final float[] like;
    private final int rows;
    private final int positives;
    private final int users;
    private final float[] all;
    private final int allRows;

    private RankingExamples(final float[] x, final float[] click, final float[] like, final int rows,
            final int positives, final int users, final float[] all, final int allRows) {
        this.x = x;
        this.click = click;
        this.like = like;
        this.rows = rows;
        this.positives = positives;
        this.users = users;
        this.all = all;
        this.allRows = allRows;
    }

    /**
     * Collects examples from {@code data}.
     *
     * @param early the state built from the first 90% of {@code data} (see {@link ServingStateBuilder})
     * @param maxUsers most users sampled from the last 10%
     */
    static RankingExamples collect(final Dataset data, final ServingState early, final FunnelConfig config,
            final int maxUsers) {
        final int cut = (int) (data.size() * 0.9);
        final Pipeline pipeline = ServingStateBuilder.offlinePipeline(early, config);
        final Long2LongHashMap userSlot = new Long2LongHashMap(-1);
        final List<IntHashSet> future = new ArrayList<>();
        final List<IntHashSet> liked = new ArrayList<>();
        final List<Long> futureUsers = new ArrayList<>();
        for (int e = cut; e < data.size(); e++) {
            long slot = userSlot.get(data.userId(e));
            if (slot < 0) {
                slot = future.size();
                userSlot.put(data.userId(e), slot);
                future.add(new IntHashSet());
                liked.add(new IntHashSet());
                futureUsers.add(data.userId(e));
            }
            future.get((int) slot).add(data.item(e));
            final EventType type = EventType.ofCode(data.type(e));
            if (type == EventType.LIKE || type == EventType.PURCHASE) {
                liked.get((int) slot).add(data.item(e));
            }
        }
        final SplittableRandom random = new SplittableRandom(config.model.seed);
        final int sampled = Math.min(maxUsers, futureUsers.size());
        final int[] order = new int[futureUsers.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        for (int i = order.length - 1; i > 0; i--) {
            final int j = random.nextInt(i + 1);
            final int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        final int width = RankFeatures.WIDTH;
        float[] x = new float[64 * width];
        float[] click = new float[64];
        float[] like = new float[64];
        int rows = 0;
        int positives = 0;
        final float[] all = new float[REFERENCE_ROWS * width];
        int allRows = 0;
        final RequestContext ctx = pipeline.newContext();
        final long nowMs = data.tsMs(cut - 1);
        for (int s = 0; s < sampled; s++) {
            final int slot = order[s];
            ctx.begin(System.nanoTime(), Long.MAX_VALUE / 4, nowMs);
            ctx.request().clear().userId(futureUsers.get(slot)).count(10);
            final int n = pipeline.candidatesForTraining(ctx);
            final float[] features = Pipeline.features(ctx);
            final int copy = Math.min(n, REFERENCE_ROWS - allRows);
            System.arraycopy(features, 0, all, allRows * width, copy * width);
            allRows += copy;
            final IntHashSet truth = future.get(slot);
            int negatives = 0;
            for (int i = 0; i < n; i++) {
                if (!truth.contains(ctx.candidates().ordinal(i))) {
                    negatives++;
                }
            }
            // A uniform sample of negatives from anywhere in the list: taking the first ones would teach the model
            // that a high pre-rank score means "not clicked".
            final double keepNegative = Math.min(1.0, 24.0 / Math.max(1, negatives));
            for (int i = 0; i < n; i++) {
                final int ordinal = ctx.candidates().ordinal(i);
                final boolean positive = truth.contains(ordinal);
                if (!positive && random.nextDouble() >= keepNegative) {
                    continue;
                }
                if (rows == click.length) {
                    x = Arrays.copyOf(x, x.length * 2);
                    click = Arrays.copyOf(click, click.length * 2);
                    like = Arrays.copyOf(like, like.length * 2);
                }
                System.arraycopy(features, i * width, x, rows * width, width);
                click[rows] = positive ? 1f : 0f;
                like[rows] = positive && liked.get(slot).contains(ordinal) ? 1f : 0f;
                rows++;
                if (positive) {
                    positives++;
                }
            }
        }
        return new RankingExamples(x, click, like, rows, positives, sampled, all, allRows);
    }

    /** Row-major features, {@link #rows()} × {@link RankFeatures#WIDTH}. */
    public float[] x() {
        return x;
    }

    /** 1 where the user interacted with the candidate later, per row. */
    public float[] click() {
        return click;
    }

    /** 1 where the user liked or bought it, per row. */
    public float[] like() {
        return like;
    }

    public int rows() {
        return rows;
    }

    public int positives() {
        return positives;
    }

    /** Users whose candidates were collected. */
    public int users() {
        return users;
    }

    /** Whether there is enough of both classes to fit a model. */
    public boolean enough() {
        return positives >= 20 && rows - positives >= 20;
    }

    /**
     * Decile edges of feature column {@code column} over every collected candidate: nine upper bin edges, so that
     * each of the ten bins holds a tenth of the training rows (the reference for input drift).
     */
    public float[] decileEdges(final int column) {
        final int width = RankFeatures.WIDTH;
        final float[] values = new float[allRows];
        for (int i = 0; i < allRows; i++) {
            values[i] = all[i * width + column];
        }
        Arrays.sort(values);
        final float[] edges = new float[9];
        for (int d = 1; d <= 9; d++) {
            edges[d - 1] = allRows == 0 ? 0f : values[Math.min(allRows - 1, (int) ((long) allRows * d / 10))];
        }
        return edges;
    }

    /**
     * The distribution of {@code scorer}'s first head over every collected candidate (not only the sampled ones),
     * as shares of {@link FunnelMetrics#SCORE_BINS} bins: the reference the drift monitor compares serving with.
     */
    public double[] predictionReference(final Scorer scorer) {
        final int heads = scorer.headCount();
        final float[] predictions = new float[Math.max(1, allRows * heads)];
        scorer.score(all, allRows, predictions);
        final double[] reference = new double[FunnelMetrics.SCORE_BINS];
        for (int i = 0; i < allRows; i++) {
            reference[Math.min(FunnelMetrics.SCORE_BINS - 1, (int) (predictions[i * heads] * FunnelMetrics.SCORE_BINS))]++;
        }
        for (int b = 0; b < reference.length; b++) {
            reference[b] /= Math.max(1, allRows);
        }
        return reference;
    }
}
