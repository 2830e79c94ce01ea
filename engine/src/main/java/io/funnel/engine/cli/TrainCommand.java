package io.funnel.engine.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.funnel.engine.config.FunnelConfig;
import io.funnel.engine.data.Dataset;
import io.funnel.engine.data.DatasetFormat;
import io.funnel.engine.data.DatasetReader;
import io.funnel.engine.offline.BundleState;
import io.funnel.engine.offline.Evaluator;
import io.funnel.engine.offline.RankingExamples;
import io.funnel.engine.offline.ServingStateBuilder;
import io.funnel.engine.pipeline.RankFeatures;
import io.funnel.model.SavedModelScorer;
import io.funnel.model.train.RankerTrainer;
import io.funnel.model.train.TrainedRanker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code funnel train}: fits the multi-task TensorFlow ranker on an interaction log and writes a versioned bundle
 * ({@code <out>/<version>/}: {@code ranker/} with the SavedModel, its manifest and golden predictions; {@code state/}
 * with the retrieval embeddings trained with TensorFlow, the HNSW index and the item-CF table ({@link BundleState});
 * the bundle's {@code manifest.json}; {@code eval.json}). The ranker learns from the first 80% of the log (by time); the last 20%
 * evaluates it against popularity, item-CF, the embedding channel and the logistic ranker on the same split.
 *
 * <p>For one seed, log and config, two runs (in any JVMs) write the same bundle byte for byte apart from the
 * version and creation time in the manifests: SIMD sums in a fixed order, HNSW indexes built on one thread
 * ({@code channels.ann.buildThreads} is forced to 1) and single-threaded TensorFlow sessions.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train the TensorFlow ranker (DCN-v2, p(click) and p(like|click) heads) on a log, write a"
                + " versioned bundle and its offline evaluation.")
final class TrainCommand implements Callable<Integer> {
    /** Format of the bundle's own manifest. */
    static final String BUNDLE_FORMAT = "funnel-bundle/1";

    @Option(names = "--interactions", required = true, description = "Interactions (see funnel eval).")
    Path interactions;

    @Option(names = "--format", defaultValue = "generated", description = "generated, movielens or csv (default "
            + "${DEFAULT-VALUE}).")
    String format;

    @Option(names = "--out", defaultValue = "bundles", description = "Bundle folder (default ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--config", description = "Configuration file (defaults otherwise).")
    Path config;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of the model (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--epochs", defaultValue = "8", description = "Training epochs (default ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--max-users", defaultValue = "1000", description = "Test users evaluated (default "
            + "${DEFAULT-VALUE}).")
    int maxUsers;

    @Override
    public Integer call() throws Exception {
        // Bitwise-reproducible SIMD sums (read once, when the kernels load: before any index or score is built).
        System.setProperty("funnel.vectorOps.fixedOrder", "true");
        final FunnelConfig cfg = config != null ? FunnelConfig.load(config) : FunnelConfig.defaults();
        // A parallel HNSW build links in thread-timing order: the bundle's index and the candidates (hence the
        // training rows) of the examples' and evaluation's states would differ from run to run.
        cfg.channels.ann.buildThreads = 1;
        final Dataset data = DatasetReader.read(interactions, DatasetFormat.parse(format));
        Boot.log(String.format("read %d items and %d interactions from %s", data.itemCount(), data.size(),
                interactions));
        final Dataset train = data.slice(0, (int) (data.size() * 0.8));
        final RankingExamples examples = new ServingStateBuilder(cfg, Boot::log).examples(train);
        if (!examples.enough()) {
            throw new IllegalArgumentException("too few training examples in " + interactions + ": "
                    + examples.positives() + " positives of " + examples.rows() + " rows");
        }
        final String version = "v" + DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC)
                .format(Instant.now());
        final Path dir = out.resolve(version);
        final Map<String, Double> modelMetrics;
        final long start = System.nanoTime();
        try (TrainedRanker trained = new RankerTrainer().seed(seed).epochs(epochs).progress(true)
                .fit(RankFeatures.NAMES, examples.x(), examples.click(), examples.like(), examples.rows())) {
            modelMetrics = trained.metrics();
            trained.export(dir.resolve("ranker"), version);
        }
        Boot.log(String.format("ranker %s trained on %d rows (%d positives) in %.1f s: %s", version, examples.rows(),
                examples.positives(), (System.nanoTime() - start) / 1e9, modelMetrics));

        // Evaluate the exported model itself, as it will be served.
        final Evaluator.Report report;
        final double[] reference;
        try (SavedModelScorer scorer = SavedModelScorer.openBundle(dir.resolve("ranker"))) {
            reference = examples.predictionReference(scorer);
            report = new Evaluator(cfg, Boot::log).maxUsers(maxUsers).ranker("tensorflow", scorer).evaluate(data);
        }
        System.out.print(report.table());
        Files.writeString(dir.resolve("eval.json"), report.json());

        final ObjectMapper json = new ObjectMapper();
        final ObjectNode manifest = json.createObjectNode();

        manifest.put("format", BUNDLE_FORMAT);
        manifest.put("version", version);
        manifest.put("created_at", Instant.now().toString());
        manifest.put("source", data.name());
        manifest.put("train_events", train.size());
        // Retrieval state for serving (embeddings, ANN index, item-CF), from the whole log the server will serve.
        manifest.set("state", BundleState.train(data, cfg, dir, json.createObjectNode(), Boot::log));
        final ArrayNode features = manifest.putArray("feature_names");
        RankFeatures.NAMES.forEach(features::add);
        final ObjectNode metrics = manifest.putObject("metrics");
        modelMetrics.forEach(metrics::put);
        final Evaluator.Row tf = report.row("funnel:tensorflow");
        final Evaluator.Row popular = report.row("popular");
        metrics.put("funnel_ndcg_at_10", tf.ndcgAtK());
        metrics.put("popular_ndcg_at_10", popular.ndcgAtK());
        final ArrayNode ref = manifest.putArray("prediction_reference");
        for (final double share : reference) {
            ref.add(share);
        }
        // Written last: a version folder counts once its manifest exists.
        Files.writeString(dir.resolve("manifest.json"), manifest.toPrettyString());
        System.out.println("bundle " + dir + " written; serve it with model.bundles: " + out);
        return 0;
    }

    /** Reads the prediction reference of a bundle version folder, or {@code null} when it has none. */
    static double[] predictionReference(final Path versionDir) {
        try {
            final var node = new ObjectMapper().readTree(versionDir.resolve("manifest.json").toFile());
            final var ref = node.get("prediction_reference");
            if (ref == null || !ref.isArray()) {
                return null;
            }
            final double[] out = new double[ref.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = ref.get(i).asDouble();
            }
            return out;
        } catch (final java.io.IOException e) {
            return null;
        }
    }
}
