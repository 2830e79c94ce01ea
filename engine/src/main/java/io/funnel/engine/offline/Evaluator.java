package io.funnel.engine.offline;

import io.funnel.codecs.RecommendResponse;
import io.funnel.engine.config.FunnelConfig;
import io.funnel.engine.data.Dataset;
import io.funnel.engine.pipeline.Candidates;
import io.funnel.engine.pipeline.Pipeline;
import io.funnel.engine.pipeline.RequestContext;
import io.funnel.engine.pipeline.TopN;
import io.funnel.engine.retrieval.Channel;
import io.funnel.engine.retrieval.SeenItems;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.agrona.collections.Int2IntHashMap;
import org.agrona.collections.IntHashSet;
import org.agrona.collections.Long2LongHashMap;

/**
 * Offline evaluation on a temporal split: everything is built from the interactions before the cut, and each test
 * user's recommendations are compared with the distinct items they interacted with after it (excluding items they
 * had already seen). Reports recall@K (hits over {@code min(K, relevant items)}), NDCG@K with binary relevance, and
 * the recall of the whole retrieved list, for each retrieval channel alone (ordered by its own score) and for the
 * whole funnel.
 *
 * <p>Threading: confined to the calling thread.
 */
public final class Evaluator {
    /** The row of the plain most-popular baseline: unseen items by decayed popularity (the ranker's feature). */
    public static final String MOST_POPULAR = "most-popular";
    private final FunnelConfig config;
    private final Consumer<String> log;
    private double trainFraction = 0.8;
    private int maxUsers = 2000;
    private int k = 10;
    private long seed = 11;
    private List<String> policies = List.of();
    private final Map<String, io.funnel.model.Scorer> extraRankers = new LinkedHashMap<>();
    private RankingExamples rankingExamples;

    public Evaluator(final FunnelConfig config, final Consumer<String> log) {
        this.config = config;
        this.log = log;
    }

    /** Share of the log (by time) used for building, in (0, 1); default 0.8. */
    public Evaluator trainFraction(final double value) {
        if (!(value > 0 && value < 1)) {
            throw new IllegalArgumentException("trainFraction must be in (0, 1), got " + value);
        }
        trainFraction = value;
        return this;
    }

    /** Most test users evaluated (a seeded sample); default 2000. */
    public Evaluator maxUsers(final int value) {
        if (value <= 0) {
            throw new IllegalArgumentException("maxUsers must be positive, got " + value);
        }
        maxUsers = value;
        return this;
    }

    /** List length for recall@K and NDCG@K; default 10. */
    public Evaluator k(final int value) {
        if (value <= 0 || value > 500) {
            throw new IllegalArgumentException("k must be 1..500, got " + value);
        }
        k = value;
        return this;
    }

    /** Re-rank policies to evaluate the funnel with, each as its own row (default: the configured default). */
    public Evaluator policies(final List<String> names) {
        for (final String name : names) {
            if (!config.reRank.policies.containsKey(name)) {
                throw new IllegalArgumentException("policy '" + name + "' is not configured; known policies are "
                        + config.reRank.policies.keySet());
            }
        }
        policies = List.copyOf(names);
        return this;
    }

    /**
     * Ranking examples already collected from the training split ({@link ServingStateBuilder#examples} of the first
     * {@code trainFraction} of the log): the funnel's logistic ranker is fitted on them instead of collecting them
     * again.
     */
    public Evaluator rankingExamples(final RankingExamples examples) {
        this.rankingExamples = examples;
        return this;
    }

    /**
     * Also evaluates the funnel with {@code ranker} in place of the one built from the training split, as a row
     * named {@code funnel:<name>} (for example the TensorFlow ranker {@code funnel train} just fitted on the same
     * split).
     */
    public Evaluator ranker(final String name, final io.funnel.model.Scorer ranker) {
        extraRankers.put(name, ranker);
        return this;
    }

    /**
     * One method's figures: accuracy (recall@K, NDCG@K, recall of the whole retrieved list) and beyond accuracy —
     * intra-list diversity (mean pairwise 1 - cosine of the item embeddings), category coverage (distinct
     * categories per list item), catalog coverage (share of the catalog recommended to anyone) and novelty (mean
     * self-information -log2 of each item's share of interactions).
     */
    public record Row(String method, double recallAtK, double ndcgAtK, double retrievalRecall, int listLength,
            double diversity, double categoryCoverage, double catalogCoverage, double novelty) {}

    /** The whole report. */
    public record Report(String dataset, int trainEvents, int testEvents, int testUsers, int k, List<Row> rows) {
        /** The row of {@code method}, or {@code null}. */
        public Row row(final String method) {
            return rows.stream().filter(r -> r.method().equals(method)).findFirst().orElse(null);
        }

        /** A fixed-width table for the terminal. */
        public String table() {
            final StringBuilder b = new StringBuilder();
            b.append(String.format(Locale.ROOT, "dataset %s: %d train / %d test events, %d test users%n", dataset,
                    trainEvents, testEvents, testUsers));
            b.append(String.format(Locale.ROOT, "%-20s %9s %9s %17s %9s %9s %9s %8s%n", "method", "recall@" + k,
                    "ndcg@" + k, "retrieval recall", "ILD", "cat.cov", "catalog", "novelty"));
            for (final Row r : rows) {
                b.append(String.format(Locale.ROOT, "%-20s %9.4f %9.4f %10.4f (@%3d) %9.4f %9.4f %9.4f %8.2f%n",
                        r.method(), r.recallAtK(), r.ndcgAtK(), r.retrievalRecall(), r.listLength(), r.diversity(),
                        r.categoryCoverage(), r.catalogCoverage(), r.novelty()));
            }
            return b.toString();
        }

        /** The report as a JSON object (no dependency on a JSON library here). */
        public String json() {
            final StringBuilder b = new StringBuilder("{\n");
            b.append(String.format(Locale.ROOT, "  \"dataset\": \"%s\",%n", dataset.replace("\\", "/")
                    .replace("\"", "'")));
            b.append(String.format(Locale.ROOT,
                    "  \"train_events\": %d,%n  \"test_events\": %d,%n  \"test_users\": %d,%n  \"k\": %d,%n",
                    trainEvents, testEvents, testUsers, k));
            b.append("  \"methods\": {\n");
            for (int i = 0; i < rows.size(); i++) {
                final Row r = rows.get(i);
                b.append(String.format(Locale.ROOT,
                        "    \"%s\": {\"recall_at_k\": %.5f, \"ndcg_at_k\": %.5f, \"retrieval_recall\": %.5f,"
                                + " \"retrieval_list_length\": %d, \"intra_list_diversity\": %.5f,"
                                + " \"category_coverage\": %.5f, \"catalog_coverage\": %.5f, \"novelty\": %.4f}%s%n",
                        r.method(), r.recallAtK(), r.ndcgAtK(), r.retrievalRecall(), r.listLength(), r.diversity(),
                        r.categoryCoverage(), r.catalogCoverage(), r.novelty(), i + 1 < rows.size() ? "," : ""));
            }
            b.append("  }\n}\n");
            return b.toString();
        }
    }

    /** Splits, builds, recommends for the test users and scores every method. */
    public Report evaluate(final Dataset data) {
        final int cut = (int) (data.size() * trainFraction);
        if (cut < 10 || data.size() - cut < 10) {
            throw new IllegalArgumentException("need at least 10 events on each side of the split, have "
                    + data.size() + " events");
        }
        final Dataset train = data.slice(0, cut);
        final ServingState state = new ServingStateBuilder(config, log).rankingExamples(rankingExamples).build(train);
        final Pipeline funnel = ServingStateBuilder.offlinePipeline(state, config);
        final List<Channel> channels = Channels.create(state, config, false);

        // Test users: known before the cut, with at least one new item after it.
        final Long2LongHashMap slotOf = new Long2LongHashMap(-1);
        final List<Long> users = new ArrayList<>();
        final List<IntHashSet> truths = new ArrayList<>();
        for (int e = cut; e < data.size(); e++) {
            final long user = data.userId(e);
            final int[] seen = state.seen().get(user);
            if (seen.length == 0 || SeenItems.contains(seen, data.item(e))) {
                continue;
            }
            long slot = slotOf.get(user);
            if (slot < 0) {
                slot = users.size();
                slotOf.put(user, slot);
                users.add(user);
                truths.add(new IntHashSet());
            }
            truths.get((int) slot).add(data.item(e));
        }
        final int[] sample = sample(users.size(), Math.min(maxUsers, users.size()), seed);
        log.accept(String.format("evaluating %d of %d test users", sample.length, users.size()));

        final long nowMs = train.tsMs(train.size() - 1);
        final Metrics metrics = new Metrics(state, train);
        final Map<String, Tally> tallies = new LinkedHashMap<>();
        tallies.put(MOST_POPULAR, new Tally());
        for (final Channel c : channels) {
            tallies.put(c.name(), new Tally());
        }
        final float[] popularity = new float[state.itemCount()];
        for (int i = 0; i < popularity.length; i++) {
            popularity[i] = state.popularity().popularity(i, nowMs);
        }
        final int[] allPositions = new int[popularity.length];
        final long[] allPacked = new long[popularity.length];
        final float[] unseenScores = new float[popularity.length];
        final int[] unseen = new int[popularity.length];
        final List<String> funnelPolicies = policies.isEmpty() ? List.of(config.reRank.defaultPolicy) : policies;
        for (final String policy : funnelPolicies) {
            tallies.put(funnelRow(policy), new Tally());
        }
        for (final String name : extraRankers.keySet()) {
            tallies.put("funnel:" + name, new Tally());
        }
        final io.funnel.model.Scorer builtRanker = state.ranker();
        final RequestContext ctx = funnel.newContext();
        final long[] packed = new long[8192];
        final float[] scores = new float[8192];
        final int[] order = new int[8192];
        final int[] positions = new int[8192];
        for (final int slot : sample) {
            final long user = users.get(slot);
            final IntHashSet truth = truths.get(slot);
            // The classic baseline: every item the user has not seen, by decayed popularity.
            {
                final int[] seenItems = state.seen().get(user);
                int n = 0;
                for (int i = 0; i < popularity.length; i++) {
                    if (popularity[i] > 0 && !SeenItems.contains(seenItems, i)) {
                        unseen[n] = i;
                        unseenScores[n++] = popularity[i];
                    }
                }
                final int kept = TopN.select(unseenScores, n, Math.min(n, 200), allPositions, allPacked);
                final int[] ranked = new int[kept];
                for (int i = 0; i < kept; i++) {
                    ranked[i] = unseen[allPositions[i]];
                }
                tallies.get(MOST_POPULAR).add(ranked, kept, truth, metrics);
            }
            // Each channel alone: its own order, seen items removed.
            for (final Channel channel : channels) {
                ctx.begin(System.nanoTime(), Long.MAX_VALUE / 4, nowMs);
                ctx.request().clear().userId(user).count(k);
                funnel.candidatesForTraining(ctx); // hydrates the user (recent items, vector, seen)
                final Candidates out = new Candidates(256);
                channel.retrieve(ctx, out);
                // A channel may return an item more than once (popular: global, trending and category lists); a
                // list shows it once, at its best score, as the merge stage does.
                final Int2IntHashMap at = new Int2IntHashMap(-1);
                int n = 0;
                for (int i = 0; i < out.count() && n < scores.length; i++) {
                    final int ordinal = out.ordinal(i);
                    if (SeenItems.contains(ctx.seen(), ordinal)) {
                        continue;
                    }
                    final int previous = at.get(ordinal);
                    if (previous >= 0) {
                        scores[previous] = Math.max(scores[previous], out.score(i));
                        continue;
                    }
                    at.put(ordinal, n);
                    order[n] = ordinal;
                    scores[n++] = out.score(i);
                }
                final int kept = TopN.select(scores, n, n, positions, packed);
                final int[] ranked = new int[kept];
                for (int i = 0; i < kept; i++) {
                    ranked[i] = order[positions[i]];
                }
                tallies.get(channel.name()).add(ranked, kept, truth, metrics);
            }
            for (final String policy : funnelPolicies) {
                ctx.begin(System.nanoTime(), Long.MAX_VALUE / 4, nowMs);
                ctx.request().clear().userId(user).count(k).policy(policy);
                final RecommendResponse response = funnel.executeSync(ctx);
                final int[] ranked = new int[response.count()];
                for (int i = 0; i < ranked.length; i++) {
                    ranked[i] = state.store().ordinalOf(response.itemId(i));
                }
                tallies.get(funnelRow(policy)).add(ranked, ranked.length, truth, metrics);
            }
            for (final Map.Entry<String, io.funnel.model.Scorer> extra : extraRankers.entrySet()) {
                state.ranker(extra.getValue());
                ctx.begin(System.nanoTime(), Long.MAX_VALUE / 4, nowMs);
                ctx.request().clear().userId(user).count(k);
                final RecommendResponse response = funnel.executeSync(ctx);
                final int[] ranked = new int[response.count()];
                for (int i = 0; i < ranked.length; i++) {
                    ranked[i] = state.store().ordinalOf(response.itemId(i));
                }
                tallies.get("funnel:" + extra.getKey()).add(ranked, ranked.length, truth, metrics);
                state.ranker(builtRanker);
            }
        }
        final List<Row> rows = new ArrayList<>();
        final int m = Math.max(1, sample.length);
        tallies.forEach((method, t) -> rows.add(t.row(method, m, state.itemCount())));
        return new Report(data.name(), cut, data.size() - cut, sample.length, k, rows);
    }

    private String funnelRow(final String policy) {
        return policies.isEmpty() ? "funnel" : "funnel[" + policy + "]";
    }

    /** What the beyond-accuracy metrics need: embeddings, categories and each item's share of interactions. */
    private static final class Metrics {
        final ServingState state;
        final double[] selfInformation;
        final io.funnel.features.ItemColumns rows;

        Metrics(final ServingState state, final Dataset train) {
            this.state = state;
            final int[] counts = new int[state.itemCount()];
            for (int e = 0; e < train.size(); e++) {
                counts[train.item(e)]++;
            }
            selfInformation = new double[counts.length];
            for (int i = 0; i < counts.length; i++) {
                // Add-one smoothing: an item nobody touched is maximally novel, not infinitely.
                selfInformation[i] = -Math.log((counts[i] + 1.0) / (train.size() + counts.length)) / Math.log(2);
            }
            rows = new io.funnel.features.ItemColumns(state.store().dimension(), 64);
        }
    }

    /** Running sums of one method's figures. */
    private final class Tally {
        final double[] sums = new double[6]; // recall, ndcg, retrieval recall, ILD, category coverage, novelty
        final IntHashSet recommended = new IntHashSet();
        int listLength;

        void add(final int[] ranked, final int n, final IntHashSet truth, final Metrics m) {
            int hits = 0;
            double dcg = 0;
            int allHits = 0;
            for (int i = 0; i < n; i++) {
                if (truth.contains(ranked[i])) {
                    allHits++;
                    if (i < k) {
                        hits++;
                        dcg += discount(i);
                    }
                }
            }
            final double ideal = idealDcg(truth.size(), k);
            sums[0] += (double) hits / Math.min(k, truth.size());
            sums[1] += ideal > 0 ? dcg / ideal : 0;
            sums[2] += (double) allHits / truth.size();
            listLength = Math.max(listLength, n);
            // Beyond accuracy, over the top k shown.
            final int shown = Math.min(k, n);
            if (shown == 0) {
                return;
            }
            m.state.store().readItems(ranked, shown, m.rows);
            final int dim = m.rows.dimension();
            final float[] e = m.rows.embeddings();
            double distance = 0;
            int pairs = 0;
            final IntHashSet categories = new IntHashSet();
            double novelty = 0;
            for (int a = 0; a < shown; a++) {
                categories.add(m.rows.category()[a]);
                novelty += m.selfInformation[ranked[a]];
                recommended.add(ranked[a]);
                for (int b = a + 1; b < shown; b++) {
                    double dot = 0;
                    double na = 0;
                    double nb = 0;
                    for (int d = 0; d < dim; d++) {
                        dot += e[a * dim + d] * e[b * dim + d];
                        na += e[a * dim + d] * e[a * dim + d];
                        nb += e[b * dim + d] * e[b * dim + d];
                    }
                    distance += na > 0 && nb > 0 ? 1 - dot / Math.sqrt(na * nb) : 1;
                    pairs++;
                }
            }
            sums[3] += pairs > 0 ? distance / pairs : 0;
            sums[4] += (double) categories.size() / shown;
            sums[5] += novelty / shown;
        }

        Row row(final String method, final int users, final int catalog) {
            return new Row(method, sums[0] / users, sums[1] / users, sums[2] / users, listLength, sums[3] / users,
                    sums[4] / users, (double) recommended.size() / catalog, sums[5] / users);
        }
    }

    /** The DCG weight of list position {@code i} (0-based) under binary relevance: 1 / log2(i + 2). */
    static double discount(final int i) {
        return 1.0 / (Math.log(i + 2) / Math.log(2));
    }

    /** The DCG@{@code k} of a perfect list for {@code relevant} relevant items: NDCG's denominator. */
    static double idealDcg(final int relevant, final int k) {
        double ideal = 0;
        for (int i = 0; i < Math.min(k, relevant); i++) {
            ideal += discount(i);
        }
        return ideal;
    }

    private static int[] sample(final int population, final int size, final long seed) {
        final int[] all = new int[population];
        for (int i = 0; i < population; i++) {
            all[i] = i;
        }
        final SplittableRandom random = new SplittableRandom(seed);
        for (int i = population - 1; i > 0; i--) {
            final int j = random.nextInt(i + 1);
            final int t = all[i];
            all[i] = all[j];
            all[j] = t;
        }
        return java.util.Arrays.copyOf(all, size);
    }
}
