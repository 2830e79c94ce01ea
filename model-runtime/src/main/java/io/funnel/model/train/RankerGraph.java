package io.funnel.model.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.framework.optimizers.Adam;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.types.TFloat32;

/** Builds the ranking graph twice (training, then clean forward-only) and runs the training loop. */
final class RankerGraph {
    static final String INPUT = "features";
    static final String P_CLICK = "p_click";
    static final String P_LIKE = "p_like";
    static final String P_CLICK_LIKE = "p_click_like";
    static final List<String> HEADS = List.of(P_CLICK, P_LIKE, P_CLICK_LIKE);
    private static final String LOSS = "loss";

    private RankerGraph() {}

    /**
     * Deterministic single-threaded sessions (training and export): every op runs in the calling thread
     * (inter-op -1) with one intra-op thread. With an inter-op pool of one thread (inter-op 1) two fits with one seed
     * differed by ~5% (relative L1 of the vectors) — presumably the pool thread and the caller then share an op's
     * shards, so partial sums land in a varying order; TF_DETERMINISTIC_OPS and disabling oneDNN did not help.
     */
    static ConfigProto deterministicConfig() {
        return ConfigProto.newBuilder()
                .setIntraOpParallelismThreads(1)
                .setInterOpParallelismThreads(-1)
                .putDeviceCount("GPU", 0)
                .build();
    }

    /** Shapes of every trainable variable, in creation order; the names are the checkpoint keys. */
    static Map<String, long[]> variableShapes(final int features, final int hidden, final int crossLayers) {
        final Map<String, long[]> shapes = new LinkedHashMap<>();
        for (int l = 0; l < crossLayers; l++) {
            shapes.put("cross" + l + "_w", new long[] {features, features});
            shapes.put("cross" + l + "_b", new long[] {features});
        }
        shapes.put("deep0_w", new long[] {features, hidden});
        shapes.put("deep0_b", new long[] {hidden});
        shapes.put("deep1_w", new long[] {hidden, hidden});
        shapes.put("deep1_b", new long[] {hidden});
        final int shared = features + hidden;
        shapes.put("click_w", new long[] {shared, 1});
        shapes.put("click_b", new long[] {1});
        shapes.put("like0_w", new long[] {shared, hidden});
        shapes.put("like0_b", new long[] {hidden});
        shapes.put("like1_w", new long[] {hidden, 1});
        shapes.put("like1_b", new long[] {1});
        return shapes;
    }

    /** The logits of both heads. */
    record Logits(Operand<TFloat32> click, Operand<TFloat32> like) {}

    /** The forward network from the raw feature matrix to the two logits, each {@code [rows]}. */
    static Logits logits(final Ops tf, final Operand<TFloat32> x, final Map<String, Variable<TFloat32>> v,
            final float[] mean, final float[] invStd, final int crossLayers) {
        final int f = mean.length;
        final Operand<TFloat32> z = tf.math.mul(
                tf.math.sub(x, tf.withName("input_mean").constant(Shape.of(f), DataBuffers.of(mean))),
                tf.withName("input_inv_std").constant(Shape.of(f), DataBuffers.of(invStd)));
        Operand<TFloat32> cross = z;
        for (int l = 0; l < crossLayers; l++) {
            final Operand<TFloat32> proj = tf.math.add(tf.linalg.matMul(cross, v.get("cross" + l + "_w")),
                    v.get("cross" + l + "_b"));
            cross = tf.math.add(tf.math.mul(z, proj), cross);
        }
        final Operand<TFloat32> h0 = tf.nn.relu(tf.math.add(tf.linalg.matMul(z, v.get("deep0_w")), v.get("deep0_b")));
        final Operand<TFloat32> h1 = tf.nn.relu(tf.math.add(tf.linalg.matMul(h0, v.get("deep1_w")), v.get("deep1_b")));
        final Operand<TFloat32> shared = tf.concat(List.of(cross, h1), tf.constant(1));
        final Operand<TFloat32> clickLogit = tf.reshape(
                tf.math.add(tf.linalg.matMul(shared, v.get("click_w")), v.get("click_b")), tf.constant(new int[] {-1}));
        final Operand<TFloat32> likeHidden = tf.nn.relu(
                tf.math.add(tf.linalg.matMul(shared, v.get("like0_w")), v.get("like0_b")));
        final Operand<TFloat32> likeLogit = tf.reshape(
                tf.math.add(tf.linalg.matMul(likeHidden, v.get("like1_w")), v.get("like1_b")),
                tf.constant(new int[] {-1}));
        return new Logits(clickLogit, likeLogit);
    }

    /** The three named outputs. */
    static List<Operand<TFloat32>> heads(final Ops tf, final Logits logits) {
        final Operand<TFloat32> pClick = tf.withName(P_CLICK).identity(tf.math.sigmoid(logits.click()));
        final Operand<TFloat32> pLike = tf.withName(P_LIKE).identity(tf.math.sigmoid(logits.like()));
        final Operand<TFloat32> pClickLike = tf.withName(P_CLICK_LIKE).identity(tf.math.mul(pClick, pLike));
        return List.of(pClick, pLike, pClickLike);
    }

    static TrainedRanker train(final RankerTrainer cfg, final List<String> featureNames, final float[] x,
            final float[] click, final float[] like, final int rows) {
        final int f = featureNames.size();
        final SplittableRandom random = new SplittableRandom(cfg.seed);
        // Seeded split: the first `trainRows` of a shuffled order train, the rest validate.
        final int[] order = new int[rows];
        for (int i = 0; i < rows; i++) {
            order[i] = i;
        }
        shuffle(order, rows, random);
        final int validationRows = cfg.validationFraction == 0 ? 0 : Math.max(1, (int) (rows * cfg.validationFraction));
        final int trainRows = rows - validationRows;
        final int[] trainIdx = java.util.Arrays.copyOfRange(order, 0, trainRows);
        final int[] validIdx = java.util.Arrays.copyOfRange(order, trainRows, rows);

        // Standardisation statistics over the training rows, folded into the graph as constants.
        final float[] mean = new float[f];
        final float[] invStd = new float[f];
        final double[] sum = new double[f];
        final double[] sumSq = new double[f];
        for (final int r : trainIdx) {
            for (int i = 0; i < f; i++) {
                final double value = x[r * f + i];
                sum[i] += value;
                sumSq[i] += value * value;
            }
        }
        for (int i = 0; i < f; i++) {
            final double m = sum[i] / trainRows;
            final double var = Math.max(0, sumSq[i] / trainRows - m * m);
            mean[i] = (float) m;
            invStd[i] = var < 1e-12 ? 1f : (float) (1 / Math.sqrt(var));
        }

        final Map<String, long[]> shapes = variableShapes(f, cfg.hidden, cfg.crossLayers);
        final Path checkpointDir;
        try {
            checkpointDir = Files.createTempDirectory("funnel-ranker-ckpt");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temporary checkpoint directory", e);
        }
        final String checkpoint = checkpointDir.resolve("ckpt").toString();
        final int steps;
        try (Graph graph = new Graph(); Session session = new Session(graph, deterministicConfig())) {
            final Ops tf = Ops.create(graph);
            final Ops init = tf.withInitScope();
            final Map<String, Variable<TFloat32>> vars = new LinkedHashMap<>();
            for (final Map.Entry<String, long[]> e : shapes.entrySet()) {
                final long[] shape = e.getValue();
                final Variable<TFloat32> var = init.withName(e.getKey()).variable(Shape.of(shape), TFloat32.class);
                init.assign(var, init.constant(Shape.of(shape), DataBuffers.of(initialValues(e.getKey(), shape,
                        random))));
                vars.put(e.getKey(), var);
            }
            final Placeholder<TFloat32> in = tf.withName(INPUT).placeholder(TFloat32.class,
                    Placeholder.shape(Shape.of(-1, f)));
            final Placeholder<TFloat32> yClick = tf.withName("label_click").placeholder(TFloat32.class,
                    Placeholder.shape(Shape.of(-1)));
            final Placeholder<TFloat32> yClickLike = tf.withName("label_click_like").placeholder(TFloat32.class,
                    Placeholder.shape(Shape.of(-1)));
            final Logits logits = logits(tf, in, vars, mean, invStd, cfg.crossLayers);
            // Click: softplus(z) - y z is the stable form of the logistic cross-entropy.
            final Operand<TFloat32> lossClick = tf.math.mean(
                    tf.math.sub(tf.math.softplus(logits.click()), tf.math.mul(yClick, logits.click())),
                    tf.constant(0));
            // Click-and-like: log p = log sigmoid(a) + log sigmoid(b); log(1 - p) = log(-expm1(log p)).
            final Operand<TFloat32> logP = tf.math.neg(tf.math.add(
                    tf.math.softplus(tf.math.neg(logits.click())), tf.math.softplus(tf.math.neg(logits.like()))));
            final Operand<TFloat32> log1mP = tf.math.log(
                    tf.math.maximum(tf.math.neg(tf.math.expm1(logP)), tf.constant(1e-7f)));
            final Operand<TFloat32> one = tf.constant(1f);
            final Operand<TFloat32> lossClickLike = tf.math.neg(tf.math.mean(tf.math.add(
                    tf.math.mul(yClickLike, logP), tf.math.mul(tf.math.sub(one, yClickLike), log1mP)),
                    tf.constant(0)));
            final Operand<TFloat32> loss = tf.withName(LOSS).math.add(lossClick, lossClickLike);
            final Op minimize = new Adam(graph, cfg.learningRate).minimize(loss);
            session.initialize();

            final int b = Math.min(cfg.batchSize, trainRows);
            final int batchesPerEpoch = (trainRows + b - 1) / b;
            steps = batchesPerEpoch * cfg.epochs;
            final float[] bx = new float[b * f];
            final float[] bc = new float[b];
            final float[] bcl = new float[b];
            try (ProgressBar bar = cfg.progress
                    ? new ProgressBarBuilder().setTaskName("train ranker").setInitialMax(steps).build() : null) {
                for (int epoch = 0; epoch < cfg.epochs; epoch++) {
                    shuffle(trainIdx, trainRows, random);
                    for (int start = 0; start < trainRows; start += b) {
                        final int n = Math.min(b, trainRows - start);
                        for (int k = 0; k < n; k++) {
                            final int r = trainIdx[start + k];
                            System.arraycopy(x, r * f, bx, k * f, f);
                            bc[k] = click[r] > 0.5f ? 1f : 0f;
                            bcl[k] = click[r] > 0.5f && like[r] > 0.5f ? 1f : 0f;
                        }
                        try (TFloat32 tx = TFloat32.tensorOf(Shape.of(n, f), DataBuffers.of(bx, true, false)
                                        .narrow((long) n * f));
                                TFloat32 tc = TFloat32.tensorOf(Shape.of(n), DataBuffers.of(bc, true, false)
                                        .narrow(n));
                                TFloat32 tcl = TFloat32.tensorOf(Shape.of(n), DataBuffers.of(bcl, true, false)
                                        .narrow(n));
                                Result result = session.runner()
                                        .feed(in, tx).feed(yClick, tc).feed(yClickLike, tcl)
                                        .addTarget(minimize).fetch(loss).run()) {
                            if (bar != null) {
                                bar.step();
                                bar.setExtraMessage(String.format(" epoch %d loss %.4f", epoch + 1,
                                        ((TFloat32) result.get(0)).getFloat()));
                            }
                        }
                    }
                }
            }
            session.save(checkpoint);
        } catch (RuntimeException e) {
            deleteQuietly(checkpointDir);
            throw e;
        }
        final TrainedRanker trained;
        try {
            trained = TrainedRanker.restore(featureNames, mean, invStd, cfg.hidden, cfg.crossLayers, checkpointDir,
                    checkpoint);
        } finally {
            // The forward session holds the restored values; the checkpoint is no longer needed.
            deleteQuietly(checkpointDir);
        }
        try {
            trained.evaluate(x, click, like, validIdx, trainRows, steps, cfg, trainIdx);
        } catch (RuntimeException e) {
            trained.close();
            throw e;
        }
        return trained;
    }

    /** Glorot-uniform weights, zero biases, from the seeded Java RNG (no TensorFlow random ops: deterministic). */
    private static float[] initialValues(final String name, final long[] shape, final SplittableRandom random) {
        long size = 1;
        for (final long d : shape) {
            size *= d;
        }
        final float[] values = new float[(int) size];
        if (name.endsWith("_b")) {
            return values;
        }
        // Cross-layer weights start small so that each cross layer begins close to the identity.
        final double limit = Math.sqrt(6.0 / (shape[0] + shape[1])) * (name.startsWith("cross") ? 0.1 : 1.0);
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) ((random.nextDouble() * 2 - 1) * limit);
        }
        return values;
    }

    static void shuffle(final int[] a, final int n, final SplittableRandom random) {
        for (int i = n - 1; i > 0; i--) {
            final int j = random.nextInt(i + 1);
            final int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }

    static void deleteQuietly(final Path dir) {
        try (var paths = Files.walk(dir)) {
            final List<Path> all = new ArrayList<>(paths.toList());
            java.util.Collections.reverse(all);
            for (final Path p : all) {
                Files.deleteIfExists(p);
            }
        } catch (IOException | UncheckedIOException ignored) {
            // A leftover temporary checkpoint is harmless.
        }
    }
}
