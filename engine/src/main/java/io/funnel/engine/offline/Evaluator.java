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
    private final FunnelConfig config;
    private final Consumer<String> log;
    private double trainFraction = 0.8;
    private int maxUsers = 2000;
    private int k = 10;
    private long seed = 11;

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

    /** One method's figures. */
    public record Row(String method, double recallAtK, double ndcgAtK, double retrievalRecall, int listLength) {}

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
            b.append(String.format(Locale.ROOT, "%-10s %10s %10s %18s%n", "method", "recall@" + k, "ndcg@" + k,
                    "retrieval recall"));
            for (final Row r : rows) {
                b.append(String.format(Locale.ROOT, "%-10s %10.4f %10.4f %11.4f (@%d)%n", r.method(), r.recallAtK(),
                        r.ndcgAtK(), r.retrievalRecall(), r.listLength()));
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
                                + " \"retrieval_list_length\": %d}%s%n",
                        r.method(), r.recallAtK(), r.ndcgAtK(), r.retrievalRecall(), r.listLength(),
                        i + 1 < rows.size() ? "," : ""));
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
        final ServingState state = new ServingStateBuilder(config, log).build(train);
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
        final Map<String, double[]> sums = new LinkedHashMap<>(); // recall, ndcg, retrieval recall
        final Map<String, Integer> listLength = new LinkedHashMap<>();
        for (final Channel c : channels) {
            sums.put(c.name(), new double[3]);
        }
        sums.put("funnel", new double[3]);
        final RequestContext ctx = funnel.newContext();
        final long[] packed = new long[8192];
        final float[] scores = new float[8192];
        final int[] order = new int[8192];
        for (final int slot : sample) {
            final long user = users.get(slot);
            final IntHashSet truth = truths.get(slot);
            // Each channel alone: its own order, seen items removed.
            for (final Channel channel : channels) {
                ctx.begin(System.nanoTime(), Long.MAX_VALUE / 4, nowMs);
                ctx.request().clear().userId(user).count(k);
                funnel.candidatesForTraining(ctx); // hydrates the user (recent items, vector, seen)
                final Candidates out = new Candidates(256);
                channel.retrieve(ctx, out);
                int n = 0;
                for (int i = 0; i < out.count() && n < scores.length; i++) {
                    if (!SeenItems.contains(ctx.seen(), out.ordinal(i))) {
                        order[n] = out.ordinal(i);
                        scores[n++] = out.score(i);
                    }
                }
                final int[] positions = new int[n];
                final int kept = TopN.select(scores, n, n, positions, packed);
                final int[] ranked = new int[kept];
                for (int i = 0; i < kept; i++) {
                    ranked[i] = order[positions[i]];
                }
                accumulate(sums.get(channel.name()), ranked, kept, truth);
                listLength.merge(channel.name(), kept, Math::max);
            }
            ctx.begin(System.nanoTime(), Long.MAX_VALUE / 4, nowMs);
            ctx.request().clear().userId(user).count(k);
            final RecommendResponse response = funnel.executeSync(ctx);
            final int[] ranked = new int[response.count()];
            for (int i = 0; i < ranked.length; i++) {
                ranked[i] = state.store().ordinalOf(response.itemId(i));
            }
            accumulate(sums.get("funnel"), ranked, ranked.length, truth);
            listLength.merge("funnel", ranked.length, Math::max);
        }
        final List<Row> rows = new ArrayList<>();
        final int m = Math.max(1, sample.length);
        sums.forEach((method, s) -> rows.add(new Row(method, s[0] / m, s[1] / m, s[2] / m,
                listLength.getOrDefault(method, 0))));
        return new Report(data.name(), cut, data.size() - cut, sample.length, k, rows);
    }

    /** Adds recall@k, NDCG@k and full-list recall of one user's ranked list. */
    private void accumulate(final double[] sums, final int[] ranked, final int n, final IntHashSet truth) {
        int hits = 0;
        double dcg = 0;
        int allHits = 0;
        for (int i = 0; i < n; i++) {
            if (truth.contains(ranked[i])) {
                allHits++;
                if (i < k) {
                    hits++;
                    dcg += 1.0 / (Math.log(i + 2) / Math.log(2));
                }
            }
        }
        double ideal = 0;
        for (int i = 0; i < Math.min(k, truth.size()); i++) {
            ideal += 1.0 / (Math.log(i + 2) / Math.log(2));
        }
        sums[0] += (double) hits / Math.min(k, truth.size());
        sums[1] += ideal > 0 ? dcg / ideal : 0;
        sums[2] += (double) allHits / truth.size();
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
