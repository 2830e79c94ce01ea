package io.funnel.model;

import io.funnel.model.train.RankerTrainer;
import io.funnel.model.train.TrainedRanker;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Synthetic data with a learnable signal and one tiny ranker trained once per test JVM (a few seconds), exported
 * as often as the tests need bundles.
 */
public final class TestModels {
    public static final List<String> FEATURES =
            List.of("item_ctr", "affinity", "freshness", "price", "quality", "noise_a", "noise_b", "noise_c");

    private static TrainedRanker trained;
    private static Path root;

    private TestModels() {}

    /** Rows of features plus click and like labels drawn from a known model. */
    public record Data(float[] x, float[] click, float[] like, int rows) {}

    public static Data data(final int rows, final long seed) {
        final int f = FEATURES.size();
        final SplittableRandom random = new SplittableRandom(seed);
        final float[] x = new float[rows * f];
        final float[] click = new float[rows];
        final float[] like = new float[rows];
        for (int r = 0; r < rows; r++) {
            for (int i = 0; i < f; i++) {
                x[r * f + i] = (float) random.nextGaussian();
            }
            x[r * f + 3] = x[r * f + 3] * 20 + 50; // a feature on another scale: standardisation must cope
            final float a = x[r * f];
            final float b = x[r * f + 1];
            final float c = x[r * f + 2];
            final float q = x[r * f + 4];
            final double zClick = 1.4 * a - 0.9 * b + 0.8 * b * c - 1.0;
            final double zLike = 1.6 * q + 0.6 * a - 0.2;
            click[r] = random.nextDouble() < sigmoid(zClick) ? 1f : 0f;
            like[r] = click[r] > 0 && random.nextDouble() < sigmoid(zLike) ? 1f : 0f;
        }
        return new Data(x, click, like, rows);
    }

    public static double sigmoid(final double z) {
        return 1 / (1 + Math.exp(-z));
    }

    public static RankerTrainer trainer() {
        return new RankerTrainer().seed(7).epochs(6).batchSize(256).hidden(16).crossLayers(1);
    }

    /** Rows and seed of the data the shared model is trained on. */
    public static final int TRAIN_ROWS = 6000;
    public static final long TRAIN_SEED = 11;

    /** The shared trained model (trained on first use). */
    public static synchronized TrainedRanker trained() {
        if (trained == null) {
            final Data d = data(TRAIN_ROWS, TRAIN_SEED);
            trained = trainer().fit(FEATURES, d.x(), d.click(), d.like(), d.rows());
        }
        return trained;
    }

    /** Exports the shared model as version {@code version} into {@code root/<version>/ranker}. */
    public static synchronized Path exportVersion(final Path root, final String version) {
        final Path dir = root.resolve(version).resolve("ranker");
        trained().export(dir, version);
        return dir;
    }

    /** A fresh bundle directory exported from the shared model with this version. */
    public static synchronized Path bundle(final String version) {
        try {
            if (root == null) {
                root = Files.createTempDirectory("funnel-test-models");
            }
            final Path dir = Files.createTempDirectory(root, version);
            trained().export(dir, version);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
