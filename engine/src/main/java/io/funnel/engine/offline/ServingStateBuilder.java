package io.funnel.engine.offline;

import io.funnel.ann.FlatVectorIndex;
import io.funnel.ann.HnswVectorIndex;
import io.funnel.ann.Metric;
import io.funnel.ann.VectorIndex;
import io.funnel.codecs.EventType;
import io.funnel.engine.config.FunnelConfig;
import io.funnel.engine.data.Dataset;
import io.funnel.engine.metrics.FunnelMetrics;
import io.funnel.engine.pipeline.Budgets;
import io.funnel.engine.pipeline.Pipeline;
import io.funnel.engine.pipeline.RankFeatures;
import io.funnel.engine.rerank.BanditStats;
import io.funnel.engine.rerank.ExplorationFeatures;
import io.funnel.engine.rerank.LinUcbModel;
import io.funnel.engine.rerank.ReRankPolicies;
import io.funnel.engine.retrieval.CoVisitation;
import io.funnel.engine.retrieval.ItemAttributes;
import io.funnel.engine.retrieval.Popularity;
import io.funnel.engine.retrieval.SeenItems;
import io.funnel.features.FeatureWriter;
import io.funnel.features.ChronicleFeatureStore;
import io.funnel.features.FeatureSchema;
import io.funnel.features.FeatureStore;
import io.funnel.features.InMemoryFeatureStore;
import io.funnel.model.LogisticScorer;
import io.funnel.model.PreRankHead;
import io.funnel.model.train.BprTrainer;
import io.funnel.model.train.LogisticTrainer;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.agrona.collections.Int2ObjectHashMap;
import org.agrona.collections.IntHashSet;

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
    private BundleState bundleState;
    private RankingExamples examples;

    /** @param log receives one line per build step (for the CLI's progress output) */
    public ServingStateBuilder(final FunnelConfig config, final Consumer<String> log) {
        this.config = config;
        this.log = log;
    }

    /**
     * Serves the retrieval embeddings, ANN index and item-CF table of a trained bundle instead of computing them from
     * the log (the ranker's training slice still computes its own, as it must not see the future).
     */
    public ServingStateBuilder bundleState(final BundleState state) {
        this.bundleState = state;
        return this;
    }

    /**
     * Fits the logistic ranker on these examples instead of collecting them again from the log passed to
     * {@link #build}; they must have been collected ({@link #examples}) from that same log.
     */
    public ServingStateBuilder rankingExamples(final RankingExamples collected) {
        this.examples = collected;
        return this;
    }

    /**
     * Builds the state, training the logistic ranker if the config asks for it — except when a bundle state is set:
     * its TensorFlow ranker serves then (should the registry refuse it, the built-in weights do).
     */
    public ServingState build(final Dataset data) {
        final ServingState state = buildWithoutRanker(data, config.features.store.equals("chronicle"), bundleState);
        if (bundleState != null && config.model.trainRanker) {
            log.accept("ranker: start-up fit skipped, the bundle's TensorFlow ranker serves");
        } else if (config.model.trainRanker && data.size() >= 1000) {
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
        return buildWithoutRanker(data, false, null);
    }

    /**
     * @param persisted build the feature store as the configured Chronicle store rather than in memory
     * @param bundle    embeddings, index and item-CF table to use, or {@code null} to compute them from {@code data}
     */
    private ServingState buildWithoutRanker(final Dataset data, final boolean persisted, final BundleState bundle) {
        final long t0 = System.nanoTime();
        final int items = data.itemCount();
        final int n = data.size();
        final int dim = config.model.embeddingDim;

        final UserIndex numbered = UserIndex.of(data);
        final int[] userOf = numbered.userOf();
        final int[] itemOf = numbered.itemOf();
        final long[] userIds = numbered.userIds();
        final int users = numbered.count();

        final BprTrainer.Embeddings emb = bundle != null ? fromBundle(bundle, users, userIds, items)
                : trainEmbeddings(config, userOf, itemOf, n, users, items);
        log.accept(String.format("embeddings: %d users x %d items x %d dims, %s (%.1f s)", users, items,
                emb.dimension(), bundle != null ? "from the bundle"
                        : config.model.embeddings + ", " + config.model.bprEpochs + " epochs", seconds(t0)));

        final FeatureStore store = persisted ? chronicleStore(emb.dimension(), items, users)
                : new InMemoryFeatureStore(emb.dimension(), items);
        final FeatureWriter writer = store.writer();
        final int[] category = new int[items];
        final boolean[] inStock = new boolean[items];
        final int[] creator = new int[items];
        final long[] created = new long[items];
        final float[][] vectors = new float[items][];
        for (int i = 0; i < items; i++) {
            vectors[i] = emb.item(i);
            writer.putItem(data.itemId(i), data.category(i), data.inStock(i), data.createdAtMs(i), vectors[i]);
            category[i] = data.category(i);
            inStock[i] = data.inStock(i);
            creator[i] = data.creator(i);
            created[i] = data.createdAtMs(i);
        }
        final VectorIndex index = bundle != null && bundle.index() != null ? bundle.index()
                : buildIndex(vectors, emb.dimension());
        for (int u = 0; u < users; u++) {
            if (bundle == null || bundle.user(userIds[u]) != null) {
                writer.putUserEmbedding(userIds[u], emb.user(u));
            }
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
        final CoVisitation coVisitation = bundle != null ? bundle.coVisitation() : coVisitation(data);
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
     * Fits the logistic ranker on {@link RankingExamples} from the log and installs it with its prediction reference.
     */
    private void trainRanker(final Dataset data, final ServingState state) {
        final long t0 = System.nanoTime();
        if (this.examples != null && this.examples.sourceEvents() != data.size()) {
            throw new IllegalArgumentException("the ranking examples were collected from a log of "
                    + this.examples.sourceEvents() + " events; this one has " + data.size());
        }
        final RankingExamples examples = this.examples != null ? this.examples : examples(data);
        if (!examples.enough()) {
            log.accept("ranker: too few examples (" + examples.positives() + " positives of " + examples.rows()
                    + "), keeping the built-in weights");
            return;
        }
        final String version = "logistic-" + DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss")
                .withZone(ZoneOffset.UTC).format(Instant.now());
        final LogisticScorer scorer = new LogisticTrainer()
                .fit(version, RankFeatures.NAMES, "click", examples.x(), examples.click(), examples.rows());
        final float[] w = scorer.weights(0);
        log.accept(String.format("ranker: %s fitted on %d rows (%d positives) from %d users (%.1f s): %s", version,
                examples.rows(), examples.positives(), examples.users(), seconds(t0),
                RankingExamples.describe(RankFeatures.NAMES, i -> w[i])));
        state.ranker(scorer, examples.predictionReference(scorer));
        final PreRankHead head = examples.fitPreRankHead();
        state.preRankHead(head);
        log.accept("pre-rank head: " + RankingExamples.describe(head));
        final float[][] edges = new float[ServingState.DRIFT_FEATURES.size()][];
        for (int f = 0; f < edges.length; f++) {
            edges[f] = examples.decileEdges(RankFeatures.NAMES.indexOf(ServingState.DRIFT_FEATURES.get(f)));
        }
        state.featureEdges(edges);
    }

    /**
     * Ranking examples from {@code data}: a state built from its first 90%, candidates of users active in the last
     * 10% (see {@link RankingExamples}).
     */
    public RankingExamples examples(final Dataset data) {
        final int cut = (int) (data.size() * 0.9);
        return RankingExamples.collect(data, buildWithoutRanker(data.slice(0, cut)), config, config.model.exampleUsers);
    }

    /** A fresh Chronicle store in the configured folder (its old files are removed: the log rebuilds it). */
    private FeatureStore chronicleStore(final int dim, final int items, final int users) {
        final java.nio.file.Path dir = java.nio.file.Path.of(config.features.directory);
        try {
            if (java.nio.file.Files.isDirectory(dir)) {
                try (var files = java.nio.file.Files.list(dir)) {
                    for (final java.nio.file.Path f : (Iterable<java.nio.file.Path>) files::iterator) {
                        java.nio.file.Files.deleteIfExists(f);
                    }
                }
            }
            java.nio.file.Files.createDirectories(dir);
        } catch (final java.io.IOException e) {
            throw new io.funnel.engine.FunnelException("features.directory: cannot prepare " + dir.toAbsolutePath()
                    + ": " + e.getMessage(), e);
        }
        final ChronicleFeatureStore store = ChronicleFeatureStore.builder()
                .directory(dir)
                .schema(FeatureSchema.defaultSchema(dim))
                .expectedItems(Math.max(1024, items))
                .expectedUsers(Math.max(1024, (long) (users * 1.2)))
                .lockInMemory(config.features.lockInMemory)
                .open();
        log.accept("features: Chronicle store in " + dir.toAbsolutePath());
        return store;
    }

    /**
     * The embedding index of the config: HNSW (built on {@code channels.ann.buildThreads} threads, 0 meaning every
     * core) or the exact flat index.
     */
    VectorIndex buildIndex(final float[][] vectors, final int dim) {
        final long t0 = System.nanoTime();
        final FunnelConfig.AnnChannel ann = config.channels.ann;
        if ("flat".equals(ann.index) || vectors.length == 0) {
            final VectorIndex flat = new FlatVectorIndex(dim, Metric.INNER_PRODUCT, vectors.length);
            for (int i = 0; i < vectors.length; i++) {
                flat.add(i, vectors[i]);
            }
            return flat;
        }
        final HnswVectorIndex hnsw = HnswVectorIndex.builder(dim, Metric.INNER_PRODUCT)
                .maxDegree(ann.maxDegree)
                .buildBeam(ann.buildBeam)
                .searchBeam(ann.searchBeam)
                .initialCapacity(vectors.length)
                .seed(config.model.seed)
                .buildThreads(ann.buildThreads > 0 ? ann.buildThreads : Runtime.getRuntime().availableProcessors())
                .build();
        hnsw.addAll(vectors, 0);
        hnsw.adviseResident(ann.lockInMemory);
        log.accept(String.format(
                "index: HNSW over %d items (degree %d, build beam %d, search beam %d, %s) in %.2f s", vectors.length,
                ann.maxDegree, ann.buildBeam, ann.searchBeam, ann.buildThreads == 1 ? "1 thread" : "parallel",
                seconds(t0)));
        return hnsw;
    }

    /**
     * Retrieval embeddings of a log with the configured trainer ({@code model.embeddings}: {@code bpr} or
     * {@code tensorflow}), dimension, epochs and seed.
     */
    static BprTrainer.Embeddings trainEmbeddings(final FunnelConfig config, final int[] userOf, final int[] itemOf,
            final int n, final int users, final int items) {
        if ("tensorflow".equals(config.model.embeddings)) {
            return new io.funnel.model.train.TfMfTrainer()
                    .dimension(config.model.embeddingDim)
                    .epochs(config.model.bprEpochs)
                    .seed(config.model.seed)
                    .fit(userOf, itemOf, n, Math.max(1, users), Math.max(2, items));
        }
        return new BprTrainer()
                .dimension(config.model.embeddingDim)
                .epochs(config.model.bprEpochs)
                .seed(config.model.seed)
                .fit(userOf, itemOf, n, Math.max(1, users), Math.max(1, items));
    }

    /** The bundle's vectors laid out as freshly trained embeddings (users the bundle has not seen get zeros). */
    private static BprTrainer.Embeddings fromBundle(final BundleState bundle, final int users, final long[] userIds,
            final int items) {
        final int d = bundle.dimension();
        final float[] u = new float[Math.max(1, users) * d];
        for (int i = 0; i < users; i++) {
            final float[] v = bundle.user(userIds[i]);
            if (v != null) {
                System.arraycopy(v, 0, u, i * d, d);
            }
        }
        final float[] it = new float[Math.max(1, items) * d];
        for (int i = 0; i < items; i++) {
            System.arraycopy(bundle.item(i), 0, it, i * d, d);
        }
        return new BprTrainer.Embeddings(d, Math.max(1, users), Math.max(1, items), u, it);
    }

    /** The item-CF table of a log, with the serving window and neighbour count. */
    static CoVisitation coVisitation(final Dataset data) {
        return CoVisitation.build(data, COVISIT_WINDOW, COVISIT_NEIGHBOURS);
    }

    /** A pipeline for offline use: every channel inline, no time budget enforced, no Vert.x. */
    public static Pipeline offlinePipeline(final ServingState state, final FunnelConfig config) {
        return offlinePipeline(state, config, config.preRank.keep);
    }

    /** As {@link #offlinePipeline(ServingState, FunnelConfig)}, keeping {@code preRankKeep} candidates. */
    static Pipeline offlinePipeline(final ServingState state, final FunnelConfig config, final int preRankKeep) {
        final long[] generous = new long[io.funnel.engine.pipeline.StageId.all().length + 1];
        Arrays.fill(generous, 3_600_000_000L);
        return new Pipeline(state, Channels.create(state, config, false), new ReRankPolicies(config, state),
                new Budgets(generous), new FunnelMetrics(), preRankKeep, config.filters.excludeSeen,
                config.filters.excludeOutOfStock, null);
    }

    private static double seconds(final long startNs) {
        return (System.nanoTime() - startNs) / 1e9;
    }
}
