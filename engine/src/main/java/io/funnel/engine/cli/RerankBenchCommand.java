package io.funnel.engine.cli;

import io.funnel.engine.config.FunnelConfig;
import io.funnel.engine.pipeline.CandidateSet;
import io.funnel.engine.pipeline.Candidates;
import io.funnel.engine.rerank.BanditStats;
import io.funnel.engine.rerank.ExplorationFeatures;
import io.funnel.engine.rerank.LinUcbModel;
import io.funnel.engine.rerank.ReRankPolicy;
import io.funnel.engine.retrieval.ItemAttributes;
import io.funnel.engine.retrieval.Popularity;
import io.funnel.features.ItemColumns;
import io.funnel.features.UserRow;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code funnel bench rerank}: latency of each re-rank policy on the same candidate pools (N candidates with
 * embeddings, categories and creators → K slots), one thread, against the plain relevance sort ({@code greedy}) in
 * the same run.
 */
@Command(name = "rerank", mixinStandardHelpOptions = true,
        description = "Latency of each re-rank policy (candidates -> slots), against plain relevance order.")
final class RerankBenchCommand implements Callable<Integer> {
    @Option(names = "--candidates", defaultValue = "200", description = "Candidates (default ${DEFAULT-VALUE}).")
    int candidates;

    @Option(names = "--slots", defaultValue = "20", description = "Slots to fill (default ${DEFAULT-VALUE}).")
    int slots;

    @Option(names = "--dim", defaultValue = "32", description = "Embedding dimension (default ${DEFAULT-VALUE}).")
    int dim;

    @Option(names = "--iterations", defaultValue = "20000", description = "Measured calls per policy (default "
            + "${DEFAULT-VALUE}).")
    int iterations;

    @Option(names = "--json", description = "Write the results here.")
    Path json;

    @Override
    public Integer call() throws Exception {
        if (candidates < slots || slots <= 0) {
            throw new IllegalArgumentException("need 0 < --slots <= --candidates");
        }
        final int catalog = candidates * 5;
        final SplittableRandom random = new SplittableRandom(7);
        final int[] category = new int[catalog];
        final int[] creator = new int[catalog];
        final long[] created = new long[catalog];
        final boolean[] stock = new boolean[catalog];
        final long now = 1_000L * 86_400_000L;
        for (int i = 0; i < catalog; i++) {
            category[i] = random.nextInt(20);
            creator[i] = random.nextInt(catalog / 10);
            created[i] = now - (long) (random.nextDouble() * 60 * 86_400_000L);
            stock[i] = true;
        }
        final ItemAttributes attributes = new ItemAttributes(category, stock, creator, created);
        final Popularity popularity = new Popularity(attributes, 20, 168, 60, 200, now);
        for (int i = 0; i < catalog; i++) {
            popularity.record(i, 1 + random.nextInt(50), now - 86_400_000L);
        }
        popularity.refresh(now);
        final BanditStats bandit = new BanditStats(catalog, 1f, 20f);
        final LinUcbModel linUcb = new LinUcbModel(ExplorationFeatures.WIDTH);

        // 16 different pools, cycled, so branch predictors and caches do not see one input only.
        final int pools = 16;
        final CandidateSet[] sets = new CandidateSet[pools];
        final ItemColumns[] rows = new ItemColumns[pools];
        for (int p = 0; p < pools; p++) {
            final Candidates c = new Candidates(candidates);
            for (int i = 0; i < candidates; i++) {
                c.add((p * 37 + i * 3) % catalog, 1f);
            }
            sets[p] = new CandidateSet(1, candidates);
            sets[p].merge(0, c);
            rows[p] = new ItemColumns(dim, candidates);
            rows[p].reset(sets[p].count());
            for (int i = 0; i < sets[p].count(); i++) {
                final int ordinal = sets[p].ordinal(i);
                sets[p].score(i, (float) random.nextDouble());
                rows[p].category()[i] = category[ordinal];
                rows[p].createdAtMs()[i] = created[ordinal];
                rows[p].interactions()[i] = 10;
                for (int d = 0; d < dim; d++) {
                    rows[p].embeddings()[i * dim + d] = (float) random.nextGaussian();
                }
            }
        }
        final FunnelConfig config = FunnelConfig.defaults();
        final Map<String, FunnelConfig.Policy> policies = new LinkedHashMap<>();
        policies.put("greedy", config.reRank.policies.get("relevance"));
        final FunnelConfig.Policy mmr = new FunnelConfig.Policy();
        mmr.selector = "mmr";
        policies.put("mmr", mmr);
        final FunnelConfig.Policy dpp = new FunnelConfig.Policy();
        dpp.selector = "dpp";
        policies.put("dpp", dpp);
        final FunnelConfig.Policy window = new FunnelConfig.Policy();
        window.selector = "greedy";
        window.window = new FunnelConfig.Window();
        window.quotas = new FunnelConfig.Quotas();
        window.quotas.maxPerCreator = 2;
        policies.put("window+quotas", window);
        policies.put("diverse (default)", config.reRank.policies.get("diverse"));
        policies.put("explore (thompson)", config.reRank.policies.get("explore"));
        final FunnelConfig.Policy lin = new FunnelConfig.Policy();
        lin.exploration = new FunnelConfig.Exploration();
        lin.exploration.method = "linucb";
        policies.put("mmr+linucb", lin);

        final UserRow user = new UserRow(dim);
        final io.funnel.codecs.RecommendRequest request = new io.funnel.codecs.RecommendRequest();
        final Map<String, double[]> results = new LinkedHashMap<>();
        System.out.printf(Locale.ROOT, "%d candidates -> %d slots, dim %d, %d calls each, one thread%n", candidates,
                slots, dim, iterations);
        System.out.printf(Locale.ROOT, "%-20s %9s %9s %9s %9s %8s%n", "policy", "p50 us", "p99 us", "p99.9 us",
                "max us", "x greedy");
        double greedyP50 = 0;
        for (final Map.Entry<String, FunnelConfig.Policy> e : policies.entrySet()) {
            final ReRankPolicy policy = new ReRankPolicy(e.getKey(), e.getValue(), attributes, popularity, bandit,
                    linUcb);
            final ReRankPolicy.Output out = new ReRankPolicy.Output();
            final Histogram h = new Histogram(10_000_000L, 3);
            final SplittableRandom draws = new SplittableRandom(1);
            for (int i = -iterations / 4; i < iterations; i++) { // the first quarter warms up
                final int p = (i & Integer.MAX_VALUE) % pools;
                final long start = System.nanoTime();
                policy.apply(sets[p], rows[p], user, new int[0], request, now, slots, o -> o, Long.MAX_VALUE,
                        (step, nanos) -> { }, step -> { }, draws, out);
                final long nanos = System.nanoTime() - start;
                if (i >= 0) {
                    h.recordValue(Math.max(1, nanos / 10)); // 10 ns resolution
                }
                if (out.count() != slots) {
                    throw new IllegalStateException(e.getKey() + " filled " + out.count() + " of " + slots);
                }
            }
            final double p50 = h.getValueAtPercentile(50) / 100.0;
            if (greedyP50 == 0) {
                greedyP50 = p50;
            }
            final double[] r = {p50, h.getValueAtPercentile(99) / 100.0, h.getValueAtPercentile(99.9) / 100.0,
                h.getMaxValue() / 100.0, p50 / greedyP50};
            results.put(e.getKey(), r);
            System.out.printf(Locale.ROOT, "%-20s %9.1f %9.1f %9.1f %9.1f %7.1fx%n", e.getKey(), r[0], r[1], r[2],
                    r[3], r[4]);
        }
        if (json != null) {
            final StringBuilder b = new StringBuilder(String.format(Locale.ROOT,
                    "{\"candidates\": %d, \"slots\": %d, \"dim\": %d, \"iterations\": %d, \"policies\": {", candidates,
                    slots, dim, iterations));
            int i = 0;
            for (final Map.Entry<String, double[]> e : results.entrySet()) {
                final double[] r = e.getValue();
                b.append(String.format(Locale.ROOT, "%s%n  \"%s\": {\"p50_us\": %.1f, \"p99_us\": %.1f, \"p999_us\": %.1f,"
                        + " \"max_us\": %.1f, \"ratio_to_greedy_p50\": %.2f}", i++ == 0 ? "" : ",", e.getKey(), r[0],
                        r[1], r[2], r[3], r[4]));
            }
            b.append("\n}}\n");
            Files.writeString(json, b.toString());
        }
        return 0;
    }
}
