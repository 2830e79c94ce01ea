package io.funnel.engine.offline;

import io.funnel.codecs.EventType;
import io.funnel.engine.config.FunnelConfig;
import io.funnel.engine.data.Dataset;
import io.funnel.engine.metrics.FunnelMetrics;
import io.funnel.engine.pipeline.Pipeline;
import io.funnel.engine.pipeline.RankFeatures;
import io.funnel.engine.pipeline.RequestContext;
import io.funnel.engine.pipeline.TopN;
import io.funnel.model.LogisticScorer;
import io.funnel.model.PreRankHead;
import io.funnel.model.Scorer;
import io.funnel.model.train.LogisticTrainer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.IntPredicate;
import java.util.function.IntToDoubleFunction;
import org.agrona.collections.Int2IntHashMap;
import org.agrona.collections.Int2ObjectHashMap;
import org.agrona.collections.IntArrayList;
import org.agrona.collections.IntHashSet;
import org.agrona.collections.Long2LongHashMap;

/**
 * Training rows for the ranking models, built the way they will be served: a state is built from the first 90% of
 * a log, the funnel runs up to pre-rank for users active in the last 10%, and each merged candidate becomes a row
 * of {@link RankFeatures}, labelled by whether the user went on to interact with it ({@code click}) and to like or
 * buy it ({@code like}). Rows come from users known before the cut (a user without history gets only the popular
 * lists, whose order the ranker does not change). All positives are kept with a uniform sample of up to
 * {@value #NEGATIVES_PER_USER} negatives per user: nearly the whole candidate list, because the model has to order a
 * user's candidates among themselves (sampling down to ~24 negatives per user cost 8% NDCG@10 on MovieLens 100K).
 * Every candidate of every sampled user (unsampled, cold users included) is also kept, up to a cap, to record the
 * distribution of predictions that serving will see.
 *
 * <p>Threading: confined to the building thread.
 */
public final class RankingExamples {
    private static final int REFERENCE_ROWS = 200_000;
    /** Negatives kept per user, a uniform sample of its candidates (most of a pre-ranked list). */
    static final int NEGATIVES_PER_USER = 200;

    private final float[] x;
    private final float[] click;
    private final float[] like;
    private final int[] group;
    private final int rows;
    private final int positives;
    private final int users;
    private final float[] all;
    private final int allRows;
    private final int sourceEvents;

    private RankingExamples(final float[] x, final float[] click, final float[] like, final int[] group,
            final int rows, final int positives, final int users, final float[] all, final int allRows,
            final int sourceEvents) {
        this.sourceEvents = sourceEvents;
        this.x = x;
        this.click = click;
        this.like = like;
        this.group = group;
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
        // Every candidate, not only the pre-rank cut: the pre-rank head learns from the whole merged list.
        final Pipeline pipeline = ServingStateBuilder.offlinePipeline(early, config, Integer.MAX_VALUE);
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
        int[] group = new int[64];
        int rows = 0;
        int positives = 0;
        final float[] all = new float[REFERENCE_ROWS * width];
        int allRows = 0;
        final RequestContext ctx = pipeline.newContext();
        final long nowMs = data.tsMs(cut - 1);
        int usersWithRows = 0;
        for (int s = 0; s < sampled; s++) {
            final int slot = order[s];
            ctx.begin(System.nanoTime(), Long.MAX_VALUE / 4, nowMs);
            ctx.request().clear().userId(futureUsers.get(slot)).count(10);
            final int n = pipeline.candidatesForTraining(ctx);
            final float[] features = Pipeline.features(ctx);
            // The reference is what serving ranks: the pre-rank cut only.
            final int copy = Math.min(Math.min(n, config.preRank.keep), REFERENCE_ROWS - allRows);
            System.arraycopy(features, 0, all, allRows * width, copy * width);
            allRows += copy;
            if (ctx.seen().length == 0) {
                // Unknown before the cut: its candidates are the popular lists only and its features carry no
                // personal signal, so it teaches the ranker nothing about ranking one user's candidates.
                continue;
            }
            usersWithRows++;
            final IntHashSet truth = future.get(slot);
            int negatives = 0;
            for (int i = 0; i < n; i++) {
                if (!truth.contains(ctx.candidates().ordinal(i))) {
                    negatives++;
                }
            }
            // A uniform sample of negatives from anywhere in the list: taking the first ones would teach the model
            // that a high pre-rank score means "not clicked".
            final double keepNegative = Math.min(1.0, (double) NEGATIVES_PER_USER / Math.max(1, negatives));
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
                    group = Arrays.copyOf(group, group.length * 2);
                }
                System.arraycopy(features, i * width, x, rows * width, width);
                click[rows] = positive ? 1f : 0f;
                like[rows] = positive && liked.get(slot).contains(ordinal) ? 1f : 0f;
                group[rows] = usersWithRows - 1;
                rows++;
                if (positive) {
                    positives++;
                }
            }
        }
        return new RankingExamples(x, click, like, group, rows, positives, usersWithRows, all, allRows, data.size());
    }

    /**
     * Fits the pre-ranker's linear head ({@link Pipeline#PRE_RANK_FEATURES}) to the click labels with logistic
     * regression: the rows cover the whole merged candidate list, before any pre-rank cut.
     */
    public PreRankHead fitPreRankHead() {
        final List<String> names = Pipeline.PRE_RANK_FEATURES;
        final int f = names.size();
        final int[] columns = new int[f];
        for (int i = 0; i < f; i++) {
            columns[i] = RankFeatures.NAMES.indexOf(names.get(i));
        }
        final int width = RankFeatures.WIDTH;
        final float[] subset = new float[Math.max(1, rows) * f];
        for (int r = 0; r < rows; r++) {
            for (int i = 0; i < f; i++) {
                subset[r * f + i] = x[r * width + columns[i]];
            }
        }
        final LogisticScorer fit = new LogisticTrainer().fit("pre-rank", names, "click", subset, click,
                rows);
        final List<Float> weights = new ArrayList<>(f);
        for (final float w : fit.weights(0)) {
            weights.add(w);
        }
        return new PreRankHead(names, weights, fit.bias(0));
    }

    /**
     * The rows of the users {@code keep} accepts (users are numbered 0..{@link #users()} - 1 in collection order),
     * renumbered densely; the prediction reference is shared.
     */
    public RankingExamples usersWhere(final IntPredicate keep) {
        final int width = RankFeatures.WIDTH;
        final float[] sx = new float[Math.max(1, rows) * width];
        final float[] sc = new float[Math.max(1, rows)];
        final float[] sl = new float[Math.max(1, rows)];
        final int[] sg = new int[Math.max(1, rows)];
        final Int2IntHashMap renumber = new Int2IntHashMap(-1);
        int n = 0;
        int pos = 0;
        for (int r = 0; r < rows; r++) {
            if (!keep.test(group[r])) {
                continue;
            }
            System.arraycopy(x, r * width, sx, n * width, width);
            sc[n] = click[r];
            sl[n] = like[r];
            int g = renumber.get(group[r]);
            if (g < 0) {
                g = renumber.size();
                renumber.put(group[r], g);
            }
            sg[n] = g;
            pos += click[r] > 0.5f ? 1 : 0;
            n++;
        }
        return new RankingExamples(sx, sc, sl, sg, n, pos, renumber.size(), all, allRows, sourceEvents);
    }

    /**
     * Mean NDCG@{@code k} over users with at least one clicked row, each user's rows ordered by {@code scores}
     * (one per row; higher first) and the click labels as binary relevance: how well a model orders one user's
     * candidates, which is what ranking needs (a pointwise AUC also rewards telling users apart).
     */
    public double ndcgAt(final float[] scores, final int k) {
        final double[] perUser = ndcgPerUser(scores, k);
        double sum = 0;
        for (final double v : perUser) {
            sum += v;
        }
        return perUser.length == 0 ? 0 : sum / perUser.length;
    }

    /** Each user's NDCG@{@code k} (see {@link #ndcgAt}), for users with at least one clicked row. */
    public double[] ndcgPerUser(final float[] scores, final int k) {
        final Int2ObjectHashMap<IntArrayList> byUser = new Int2ObjectHashMap<>();
        for (int r = 0; r < rows; r++) {
            byUser.computeIfAbsent(group[r], g -> new IntArrayList()).addInt(r);
        }
        float[] userScores = new float[0];
        int[] order = new int[0];
        long[] scratch = new long[0];
        final double[] perUser = new double[byUser.size()];
        int counted = 0;
        for (final IntArrayList list : byUser.values()) {
            final int n = list.size();
            if (userScores.length < n) {
                userScores = new float[n];
                order = new int[n];
                scratch = new long[n];
            }
            int relevant = 0;
            for (int i = 0; i < n; i++) {
                final int r = list.getInt(i);
                userScores[i] = scores[r];
                relevant += click[r] > 0.5f ? 1 : 0;
            }
            if (relevant == 0) {
                continue;
            }
            final int shown = TopN.select(userScores, n, k, order, scratch);
            double dcg = 0;
            for (int i = 0; i < shown; i++) {
                dcg += click[list.getInt(order[i])] > 0.5f ? Evaluator.discount(i) : 0;
            }
            perUser[counted++] = dcg / Evaluator.idealDcg(relevant, k);
        }
        return java.util.Arrays.copyOf(perUser, counted);
    }

    /** {@code name=weight, ...} of a head, for logs. */
    public static String describe(final PreRankHead head) {
        return describe(head.featureNames(), i -> head.weights().get(i));
    }

    /** {@code name=weight, ...} for logs, where {@code weight} gives the weight of {@code names.get(i)}. */
    static String describe(final List<String> names, final IntToDoubleFunction weight) {
        final StringBuilder b = new StringBuilder();
        for (int i = 0; i < names.size(); i++) {
            b.append(i == 0 ? "" : ", ").append(names.get(i)).append('=')
                    .append(String.format(Locale.ROOT, "%.3f", weight.applyAsDouble(i)));
        }
        return b.toString();
    }

    /** Events of the log these examples were collected from (its first 90% built the state, the rest labelled). */
    public int sourceEvents() {
        return sourceEvents;
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
