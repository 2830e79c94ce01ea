package io.funnel.engine.cli;

import io.funnel.engine.config.FunnelConfig;
import io.funnel.engine.data.Dataset;
import io.funnel.engine.data.DatasetFormat;
import io.funnel.engine.data.DatasetReader;
import io.funnel.engine.offline.Evaluator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code funnel eval}: offline evaluation on a temporal split. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Temporal split; recall@K and NDCG@K of the popularity, item-CF and embedding channels alone"
                + " and of the whole funnel (per re-rank policy, and with a trained bundle's ranker). Prints a table"
                + " and optionally writes JSON.")
final class EvalCommand implements Callable<Integer> {
    @Option(names = "--interactions", required = true,
            description = "Interactions: a folder from 'funnel generate', MovieLens u.data (or its folder), or CSV.")
    Path interactions;

    @Option(names = "--format", defaultValue = "csv", description = "generated, movielens or csv (default "
            + "${DEFAULT-VALUE}).")
    String format;

    @Option(names = "--config", description = "Configuration file (defaults otherwise).")
    Path config;

    @Option(names = "--k", defaultValue = "10", description = "List length (default ${DEFAULT-VALUE}).")
    int k;

    @Option(names = "--train-fraction", defaultValue = "0.8",
            description = "Share of the log, by time, used for building (default ${DEFAULT-VALUE}).")
    double trainFraction;

    @Option(names = "--max-users", defaultValue = "2000", description = "Test users sampled (default "
            + "${DEFAULT-VALUE}).")
    int maxUsers;

    @Option(names = "--policies", split = ",", description = "Re-rank policies to evaluate, one row each"
            + " (e.g. relevance,diverse,dpp,explore); default: the configured default policy.")
    java.util.List<String> policies = java.util.List.of();

    @Option(names = "--bundle", description = "Also evaluate the funnel with this bundle's TensorFlow ranker"
            + " (a version folder written by funnel train), as the row funnel:bundle.")
    Path bundle;

    @Option(names = "--json", description = "Write the report as JSON here.")
    Path json;

    @Override
    public Integer call() throws Exception {
        final FunnelConfig cfg = config != null ? FunnelConfig.load(config) : FunnelConfig.defaults();
        final Dataset data = DatasetReader.read(interactions, DatasetFormat.parse(format));
        Boot.log(String.format("read %d items and %d interactions from %s", data.itemCount(), data.size(),
                interactions));
        final Evaluator evaluator = new Evaluator(cfg, Boot::log)
                .k(k).trainFraction(trainFraction).maxUsers(maxUsers).policies(policies);
        final Evaluator.Report report;
        if (bundle != null) {
            final Path ranker = Files.isDirectory(bundle.resolve("ranker")) ? bundle.resolve("ranker") : bundle;
            try (io.funnel.model.SavedModelScorer scorer = io.funnel.model.SavedModelScorer.openBundle(ranker)) {
                if (!scorer.featureNames().equals(io.funnel.engine.pipeline.RankFeatures.NAMES)) {
                    throw new IllegalArgumentException(ranker + ": the model's features " + scorer.featureNames()
                            + " are not the engine's " + io.funnel.engine.pipeline.RankFeatures.NAMES);
                }
                report = evaluator.ranker("bundle", scorer).evaluate(data);
            }
        } else {
            report = evaluator.evaluate(data);
        }
        System.out.print(report.table());
        if (json != null) {
            if (json.getParent() != null) {
                Files.createDirectories(json.getParent());
            }
            Files.writeString(json, report.json());
            Boot.log("wrote " + json);
        }
        return 0;
    }
}
