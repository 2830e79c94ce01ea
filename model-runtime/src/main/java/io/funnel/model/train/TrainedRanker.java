package io.funnel.model.train;

import com.google.protobuf.CodedOutputStream;
import io.funnel.model.GoldenPredictions;
import io.funnel.model.RankerManifest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Signature;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.proto.SavedModel;
import org.tensorflow.types.TFloat32;

/**
 * A trained ranking model held in a clean forward-only TensorFlow graph (no optimizer state, no labels, no loss):
 * the training checkpoint was restored into a freshly built forward graph, which is what {@link #export} writes.
 *
 * <p>Threading: confined to one thread. Holds a native session: {@link #close()} it.
 */
public final class TrainedRanker implements AutoCloseable {
    private static final String SAVED_MODEL_PB = "saved_model.pb";
    private final List<String> featureNames;
    private final int hidden;
    private final int crossLayers;
    private final Graph graph;
    private final Session session;
    private final Placeholder<TFloat32> input;
    private final List<Operand<TFloat32>> heads;
    private final Map<String, Double> metrics = new LinkedHashMap<>();
    private float[] goldenInputs = new float[0];
    private int goldenRows;

    private TrainedRanker(final List<String> featureNames, final int hidden, final int crossLayers, final Graph graph,
            final Session session, final Placeholder<TFloat32> input, final List<Operand<TFloat32>> heads) {
        this.featureNames = featureNames;
        this.hidden = hidden;
        this.crossLayers = crossLayers;
        this.graph = graph;
        this.session = session;
        this.input = input;
        this.heads = heads;
    }

    static TrainedRanker restore(final List<String> featureNames, final float[] mean, final float[] invStd,
            final int hidden, final int crossLayers, final Path checkpointDir, final String checkpoint) {
        final Graph graph = new Graph();
        try {
            final Ops tf = Ops.create(graph);
            final Map<String, Variable<TFloat32>> vars = new LinkedHashMap<>();
            for (final Map.Entry<String, long[]> e
                    : RankerGraph.variableShapes(featureNames.size(), hidden, crossLayers).entrySet()) {
                vars.put(e.getKey(), tf.withName(e.getKey()).variable(Shape.of(e.getValue()), TFloat32.class));
            }
            final Placeholder<TFloat32> in = tf.withName(RankerGraph.INPUT).placeholder(TFloat32.class,
                    Placeholder.shape(Shape.of(-1, featureNames.size())));
            final List<Operand<TFloat32>> heads = RankerGraph.heads(tf,
                    RankerGraph.logits(tf, in, vars, mean, invStd, crossLayers));
            final Session session = new Session(graph, RankerGraph.deterministicConfig());
            try {
                session.restore(checkpoint);
            } catch (RuntimeException e) {
                session.close();
                throw e;
            }
            return new TrainedRanker(featureNames, hidden, crossLayers, graph, session, in, heads);
        } catch (RuntimeException e) {
            graph.close();
            throw new IllegalStateException("cannot rebuild the forward graph from checkpoint " + checkpointDir, e);
        }
    }

    /** Names of the input columns, in order. */
    public List<String> featureNames() {
        return featureNames;
    }

    /** Output heads, in output order: {@code p_click}, {@code p_like} (like given click), {@code p_click_like}. */
    public List<String> headNames() {
        return RankerGraph.HEADS;
    }

    /**
     * Offline metrics of the held-out rows: {@code auc_click}, {@code auc_like}, {@code auc_click_like}, counts; an
     * unmodifiable copy that iterates in that fixed order (unlike {@code Map.copyOf}, whose order changes from JVM to
     * JVM), so that manifests built from it are reproducible.
     */
    public Map<String, Double> metrics() {
        return Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
    }

    /**
     * Scores rows with the forward graph.
     *
     * @param x row-major features, {@code rows * featureNames().size()}
     * @return row-major {@code rows * 3} probabilities in head order
     */
    public float[] predict(final float[] x, final int rows) {
        final int f = featureNames.size();
        final float[] out = new float[rows * RankerGraph.HEADS.size()];
        if (rows == 0) {
            return out;
        }
        final float[] column = new float[rows];
        try (TFloat32 tx = TFloat32.tensorOf(Shape.of(rows, f))) {
            tx.asRawTensor().data().asFloats().write(x, 0, rows * f);
            final Session.Runner runner = session.runner().feed(input, tx);
            heads.forEach(runner::fetch);
            try (Result result = runner.run()) {
                final int h = heads.size();
                for (int k = 0; k < h; k++) {
                    result.get(k).asRawTensor().data().asFloats().read(column, 0, rows);
                    for (int r = 0; r < rows; r++) {
                        out[r * h + k] = column[r];
                    }
                }
            }
        }
        return out;
    }

    void evaluate(final float[] x, final float[] click, final float[] like, final int[] validIdx, final int trainRows,
            final int steps, final RankerTrainer cfg, final int[] trainIdx) {
        final int f = featureNames.size();
        final int[] rowsForMetrics = validIdx.length > 0 ? validIdx : trainIdx;
        final int n = rowsForMetrics.length;
        final float[] vx = new float[n * f];
        for (int k = 0; k < n; k++) {
            System.arraycopy(x, rowsForMetrics[k] * f, vx, k * f, f);
        }
        final float[] p = predict(vx, n);
        final float[] pClick = new float[n];
        final float[] yClick = new float[n];
        final float[] pClickLike = new float[n];
        final float[] yClickLike = new float[n];
        final float[] pLike = new float[n];
        final float[] yLike = new float[n];
        int clicked = 0;
        for (int k = 0; k < n; k++) {
            final int r = rowsForMetrics[k];
            pClick[k] = p[k * 3];
            pClickLike[k] = p[k * 3 + 2];
            yClick[k] = click[r] > 0.5f ? 1f : 0f;
            yClickLike[k] = click[r] > 0.5f && like[r] > 0.5f ? 1f : 0f;
            if (yClick[k] > 0) {
                // p(like | click) is judged where the label exists: on clicked rows.
                pLike[clicked] = p[k * 3 + 1];
                yLike[clicked] = like[r] > 0.5f ? 1f : 0f;
                clicked++;
            }
        }
        metrics.put("auc_click", Auc.of(pClick, yClick, n));
        metrics.put("auc_like", Auc.of(pLike, yLike, clicked));
        metrics.put("auc_click_like", Auc.of(pClickLike, yClickLike, n));
        metrics.put("train_rows", (double) trainRows);
        metrics.put("validation_rows", (double) validIdx.length);
        metrics.put("steps", (double) steps);
        metrics.put("epochs", (double) cfg.epochs);
        metrics.put("seed", (double) cfg.seed);
        goldenRows = Math.min(cfg.goldenRows, n);
        goldenInputs = java.util.Arrays.copyOf(vx, goldenRows * f);
    }

    /**
     * Writes a ranker bundle directory: {@code saved_model/} (forward-only SavedModel, signature
     * {@code serving_default}: input {@code features} float {@code [-1, F]}, outputs {@code p_click},
     * {@code p_like}, {@code p_click_like} float {@code [-1]}), {@code golden.json} (a few held-out rows and their
     * predictions) and, last, {@code manifest.json}. A watcher should treat a directory as complete only once the
     * manifest exists.
     *
     * @param dir the ranker bundle directory (created; must not already hold a SavedModel)
     * @param version the model version recorded in the manifest
     * @return the manifest written
     */
    public RankerManifest export(final Path dir, final String version) {
        return export(dir, version, null);
    }

    /**
     * Like {@link #export(Path, String)}, also recording the pre-ranker's head trained beside this model.
     *
     * @param preRank the head written as the manifest's {@code pre_rank}, or {@code null} for none
     */
    public RankerManifest export(final Path dir, final String version, final io.funnel.model.PreRankHead preRank) {
        final Path savedModel = dir.resolve("saved_model");
        try {
            Files.createDirectories(dir);
            if (Files.exists(savedModel)) {
                throw new IllegalArgumentException(savedModel + " already exists; export into a fresh directory");
            }
            final Signature.Builder signature = Signature.builder().key(Signature.DEFAULT_KEY)
                    .input(RankerGraph.INPUT, input);
            for (int h = 0; h < heads.size(); h++) {
                signature.output(RankerGraph.HEADS.get(h), heads.get(h));
            }
            SavedModelBundle.exporter(savedModel.toString())
                    .withTags(SavedModelBundle.DEFAULT_TAG)
                    .withSession(session)
                    .withSignature(signature.build())
                    .export();
            rewriteDeterministically(savedModel.resolve(SAVED_MODEL_PB));
            writeGolden(dir.resolve(RankerManifest.GOLDEN_FILE_NAME));
            final Map<String, Double> manifestMetrics = new LinkedHashMap<>(metrics);
            manifestMetrics.put("hidden", (double) hidden);
            manifestMetrics.put("cross_layers", (double) crossLayers);
            final RankerManifest manifest = new RankerManifest(RankerManifest.FORMAT, version,
                    Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(), "dcn2-esmm", "saved_model",
                    Signature.DEFAULT_KEY, RankerGraph.INPUT, featureNames, RankerGraph.HEADS, manifestMetrics, preRank);
            manifest.write(dir);
            return manifest;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot export the ranker to " + dir, e);
        }
    }

    /**
     * Rewrites {@code saved_model.pb} with its map fields (a node's attributes, the signatures) sorted by key. The
     * exporter keeps the order in which TensorFlow's C++ runtime serialised the graph, and its protobuf maps iterate
     * in an order that changes from process to process: the same graph then made different bytes in every JVM.
     */
    static void rewriteDeterministically(final Path file) throws IOException {
        final SavedModel model = SavedModel.parseFrom(Files.readAllBytes(file));
        final byte[] bytes = new byte[model.getSerializedSize()];
        final CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        out.useDeterministicSerialization();
        model.writeTo(out);
        out.checkNoSpaceLeft();
        Files.write(file, bytes);
    }

    private void writeGolden(final Path file) throws IOException {
        final int f = featureNames.size();
        final float[] predictions = predict(goldenInputs, goldenRows);
        final float[][] inputs = new float[goldenRows][];
        final float[][] outputs = new float[goldenRows][];
        final int h = RankerGraph.HEADS.size();
        for (int r = 0; r < goldenRows; r++) {
            inputs[r] = java.util.Arrays.copyOfRange(goldenInputs, r * f, (r + 1) * f);
            outputs[r] = java.util.Arrays.copyOfRange(predictions, r * h, (r + 1) * h);
        }
        GoldenPredictions.write(file, new GoldenPredictions(featureNames, RankerGraph.HEADS, inputs, outputs));
    }

    @Override
    public void close() {
        session.close();
        graph.close();
    }
}
