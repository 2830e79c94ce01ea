package io.funnel.engine.offline;

import io.funnel.ann.FlatVectorIndex;
import io.funnel.ann.Metric;
import io.funnel.ann.VectorIndex;
import io.funnel.codecs.EventType;
import io.funnel.engine.config.FunnelConfig;
import io.funnel.engine.data.Dataset;
import io.funnel.engine.metrics.FunnelMetrics;
import io.funnel.engine.pipeline.Budgets;
import io.funnel.engine.pipeline.Pipeline;
import io.funnel.engine.pipeline.RankFeatures;
import io.funnel.engine.pipeline.RequestContext;
import io.funnel.engine.rerank.BanditStats;
import io.funnel.engine.rerank.ExplorationFeatures;
import io.funnel.engine.rerank.LinUcbModel;
import io.funnel.engine.rerank.ReRankPolicies;
import io.funnel.engine.retrieval.CoVisitation;
import io.funnel.engine.retrieval.ItemAttributes;
import io.funnel.engine.retrieval.Popularity;
import io.funnel.engine.retrieval.SeenItems;
import io.funnel.features.FeatureWriter;
import io.funnel.features.InMemoryFeatureStore;
import io.funnel.model.LogisticScorer;
import io.funnel.model.Scorer;
import io.funnel.model.train.BprTrainer;
import io.funnel.model.train.LogisticTrainer;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.agrona.collections.Int2ObjectHashMap;
import org.agrona.collections.IntHashSet;
import org.agrona.collections.Long2LongHashMap;

/**
 * Builds a {@link ServingState} from a data set: user and item embeddings (BPR matrix factorisation), the feature
 * store with every user's recent items, popularity and trending counters, the co-visitation table, the embedding
 * index, and a ranking model fitted on a held-out slice of the log (the last 10%, scored against a state built
 * from the first 90%, so the model learns from features it could have seen at serving time).
 *
 * <p>Threading: confined to the calling thread.
 */
public final class ServingStateBuilder {
    /** Co-visitation window: steps before and after an interaction in a user's history. */
    private static final int COVISIT_WINDOW = 5;
    private static final int COVISIT_NEIGHBOURS = 50;

    private final FunnelConfig config;
    private final Consumer<String> log;

    /** @param log receives one line per build step (for the CLI's progress output) */
    public ServingStateBuilder(final FunnelConfig config, final Consumer<String> log) {
        this.config = config;
        this.log = log;
    }

    /** Builds the state, training the ranker if the config asks for it. */
    public ServingState build(final Dataset data) {
        final ServingState state = buildWithoutRanker(data);
        if (config.model.trainRanker && data.size() >= 1000) {
            trainRanker(data, state);
        }
        return state;
    }

    /** The hand-set ranker used before (or instead of) training: a sensible blend of the rank features. */
    public static LogisticScorer defaultRanker() {
        final float[] w = {1.0f, 2.0f, 1.0f, 1.0f, 0.3f, 0.1f, 1.5f, 0.2f, 0.5f};
        return new LogisticScorer("builtin-1", RankFeatures.NAMES, List.of("click"), new float[][] {w},
                new float[] {-3f});
    }

    private ServingState buildWithoutRanker(final Dataset data) {
        final long t0 = System.nanoTime();
        final int items = data.itemCount();
        final int n = data.size();
        final int dim = config.model.embeddingDim;

        // Users in order of first appearance.
        final Long2LongHashMap userIndex = new Long2LongHashMap(-1);
        final int[] userOf = new int[n];
        long[] userIds = new long[1024];
        for (int e = 0; e < n; e++) {
            long u = userIndex.get(data.userId(e));
            if (u < 0) {
                u = userIndex.size();
                userIndex.put(data.userId(e), u);
                if (u == userIds.length) {
                    userIds = Arrays.copyOf(userIds, userIds.length * 2);
                }
                userIds[(int) u] = data.userId(e);
            }
            userOf[e] = (int) u;
        }
        final int users = userIndex.size();
        final int[] itemOf = new int[n];
        for (int e = 0; e < n; e++) {
            itemOf[e] = data.item(e);
        }

        final BprTrainer.Embeddings emb = new BprTrainer()
                .dimension(dim)
                .epochs(config.model.bprEpochs)
                .seed(config.model.seed)
                .fit(userOf, itemOf, n, Math.max(1, users), Math.max(1, items));
        log.accept(String.format("embeddings: %d users x %d items x %d dims, %d epochs (%.1f s)", users, items, dim,
                config.model.bprEpochs, seconds(t0)));

        final InMemoryFeatureStore store = new InMemoryFeatureStore(dim, items);
        final FeatureWriter writer = store.writer();
        final int[] category = new int[items];
        final boolean[] inStock = new boolean[items];
        final int[] creator = new int[items];
        final long[] created = new long[items];
        final VectorIndex index = new FlatVectorIndex(dim, Metric.INNER_PRODUCT, items);
        for (int i = 0; i < items; i++) {
            final float[] vector = emb.item(i);
            writer.putItem(data.itemId(i), data.category(i), data.inStock(i), data.createdAtMs(i), vector);
            category[i] = data.category(i);
            inStock[i] = data.inStock(i);
            creator[i] = data.creator(i);
            created[i] = data.createdAtMs(i);
            index.add(i, vector);
        }
        for (int u = 0; u < users; u++) {
            writer.putUserEmbedding(userIds[u], emb.user(u));
        }
        for (int e = 0; e < n; e++) {
            writer.recordInteraction(data.userId(e), data.item(e), data.tsMs(e),
                    EventType.ofCode(data.type(e)).weight());
        }
        final SeenItems seen = new SeenItems();
        final Int2ObjectHashMap<IntHashSet> perUser = new Int2ObjectHashMap<>();
        for (int e = 0; e < n; e++) {
            IntHashSet set = perUser.get(userOf[e]);
            if (set == null) {
                set = new IntHashSet();
                perUser.put(userOf[e], set);
            }
            set.add(data.item(e));
        }
        final long[] ids = userIds;
        perUser.forEach((u, set) -> {
            final int[] arr = new int[set.size()];
            int w = 0;
            final IntHashSet.IntIterator it = set.iterator();
            while (it.hasNext()) {
                arr[w++] = it.nextValue();
            }
            seen.put(ids[u], arr, w);
        });
        final int listSize = Math.max(200, config.channels.popular.k);
        final ItemAttributes attributes = new ItemAttributes(category, inStock, creator, created);
        final Popularity popularity = Popularity.build(data, attributes, config.popularity.halfLifeHours,
                config.popularity.trendingWindowMinutes, listSize);
        final CoVisitation coVisitation = CoVisitation.build(data, COVISIT_WINDOW, COVISIT_NEIGHBOURS);
        log.accept(String.format("state: %d items, %d users, %d events, %d co-visitation pairs (%.1f s)", items,
                users, n, coVisitation.pairCount(), seconds(t0)));
        // Exploration statistics from the log: views are impressions, everything else a success.
        final BanditStats bandit = new BanditStats(items, 1f, 20f);
        for (int e = 0; e < n; e++) {
            bandit.record(data.item(e), data.type(e) != EventType.VIEW.ordinal());
        }
        return new ServingState(data.name(), store, popularity, coVisitation, index,
                attributes, seen, defaultRanker(), data.categoryCount(), users, n, bandit,
                new LinUcbModel(ExplorationFeatures.WIDTH));
    }

    /**
     * Fits the ranker: builds a state from the first 90% of the log, runs the funnel up to pre-rank for users active
     * in the last 10%, and labels each candidate by whether the user went on to interact with it.
     */
    private void trainRanker(final Dataset data, final ServingState state) {
        final long t0 = System.nanoTime();
        final int cut = (int) (data.size() * 0.9);
        final ServingState early = buildWithoutRanker(data.slice(0, cut));
        final Pipeline pipeline = offlinePipeline(early, config);
        // Future items per user in the held-out slice.
        final Long2LongHashMap userSlot = new Long2LongHashMap(-1);
        final List<IntHashSet> future = new java.util.ArrayList<>();
        final List<Long> futureUsers = new java.util.ArrayList<>();
        for (int e = cut; e < data.size(); e++) {
            long slot = userSlot.get(data.userId(e));
            if (slot < 0) {
                slot = future.size();
                userSlot.put(data.userId(e), slot);
                future.add(new IntHashSet());
                futureUsers.add(data.userId(e));
            }
            future.get((int) slot).add(data.item(e));
        }
        final SplittableRandom random = new SplittableRandom(config.model.seed);
        final int maxUsers = Math.min(3000, futureUsers.size());
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
        float[] y = new float[64];
        int rows = 0;
        int positives = 0;
        // Every candidate's features (not only the sampled ones), to record the served distribution of predictions.
        final int referenceRows = 200_000;
        final float[] all = new float[referenceRows * width];
        int allRows = 0;
        final RequestContext ctx = pipeline.newContext();
        final long nowMs = data.tsMs(cut - 1);
        for (int s = 0; s < maxUsers; s++) {
            final int slot = order[s];
            final long userId = futureUsers.get(slot);
            ctx.begin(System.nanoTime(), Long.MAX_VALUE / 4, nowMs);
            ctx.request().clear().userId(userId).count(10);
            final int n = pipeline.candidatesForTraining(ctx);
            final float[] features = Pipeline.features(ctx);
            final int copy = Math.min(n, referenceRows - allRows);
            System.arraycopy(features, 0, all, allRows * width, copy * width);
            allRows += copy;
            final IntHashSet truth = future.get(slot);
            int candidatesNegative = 0;
            for (int i = 0; i < n; i++) {
                if (!truth.contains(ctx.candidates().ordinal(i))) {
                    candidatesNegative++;
                }
            }
            // Keep every positive and a uniform sample of about 24 negatives from anywhere in the list (taking the
            // first ones would teach the model that a high pre-rank score means "not clicked").
            final double keepNegative = Math.min(1.0, 24.0 / Math.max(1, candidatesNegative));
            for (int i = 0; i < n; i++) {
                final boolean positive = truth.contains(ctx.candidates().ordinal(i));
                if (!positive && random.nextDouble() >= keepNegative) {
                    continue;
                }
                if (rows == y.length) {
                    x = Arrays.copyOf(x, x.length * 2);
                    y = Arrays.copyOf(y, y.length * 2);
                }
                System.arraycopy(features, i * width, x, rows * width, width);
                y[rows++] = positive ? 1f : 0f;
                if (positive) {
                    positives++;
                }
            }
        }
        if (positives < 20 || rows - positives < 20) {
            log.accept("ranker: too few examples (" + positives + " positives of " + rows
                    + "), keeping the built-in weights");
            return;
        }
        final String version = "logistic-" + DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss")
                .withZone(ZoneOffset.UTC).format(Instant.now());
        final LogisticScorer scorer = new LogisticTrainer()
                .seed(config.model.seed)
                .fit(version, RankFeatures.NAMES, "click", x, y, rows);
        final float[] w = scorer.weights(0);
        final StringBuilder weights = new StringBuilder();
        for (int i = 0; i < w.length; i++) {
            weights.append(i == 0 ? "" : ", ").append(RankFeatures.NAMES.get(i)).append('=')
                    .append(String.format(java.util.Locale.ROOT, "%.3f", w[i]));
        }
        log.accept(String.format("ranker: %s fitted on %d rows (%d positives) from %d users (%.1f s): %s", version,
                rows, positives, maxUsers, seconds(t0), weights));
        final float[] predictions = new float[Math.max(1, allRows)];
        scorer.score(all, allRows, predictions);
        final double[] reference = new double[FunnelMetrics.SCORE_BINS];
        for (int i = 0; i < allRows; i++) {
            reference[Math.min(FunnelMetrics.SCORE_BINS - 1, (int) (predictions[i] * FunnelMetrics.SCORE_BINS))]++;
        }
        for (int b = 0; b < reference.length; b++) {
            reference[b] /= Math.max(1, allRows);
        }
        state.ranker(scorer, reference);
    }

    /** A pipeline for offline use: every channel inline, no time budget enforced, no Vert.x. */
    public static Pipeline offlinePipeline(final ServingState state, final FunnelConfig config) {
        final long[] generous = new long[io.funnel.engine.pipeline.StageId.all().length + 1];
        Arrays.fill(generous, 3_600_000_000L);
        return new Pipeline(state, Channels.create(state, config, false), new ReRankPolicies(config, state),
                new Budgets(generous), new FunnelMetrics(), config.preRank.keep, config.filters.excludeSeen,
                config.filters.excludeOutOfStock, null);
    }

    private static double seconds(final long startNs) {
        return (System.nanoTime() - startNs) / 1e9;
    }
}
