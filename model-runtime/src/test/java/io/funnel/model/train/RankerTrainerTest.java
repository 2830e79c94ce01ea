package io.funnel.model.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.funnel.model.GoldenPredictions;
import io.funnel.model.RankerManifest;
import io.funnel.model.SavedModelScorer;
import io.funnel.model.TestModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RankerTrainerTest {
    @Test
    void learnsEveryHead() {
        final Map<String, Double> metrics = TestModels.trained().metrics();
        // The generating model's own AUCs are about 0.80 (click), 0.84 (like | click), 0.84 (click and like).
        assertTrue(metrics.get("auc_click") > 0.74, "auc_click " + metrics);
        assertTrue(metrics.get("auc_like") > 0.74, "auc_like " + metrics);
        assertTrue(metrics.get("auc_click_like") > 0.78, "auc_click_like " + metrics);
    }

    @Test
    void twoFitsWithOneSeedPredictBitwiseTheSame() {
        final TestModels.Data train = TestModels.data(TestModels.TRAIN_ROWS, TestModels.TRAIN_SEED);
        final TestModels.Data probe = TestModels.data(200, 23);
        final float[] first = TestModels.trained().predict(probe.x(), probe.rows());
        try (TrainedRanker again = TestModels.trainer().fit(TestModels.FEATURES, train.x(), train.click(),
                train.like(), train.rows())) {
            assertArrayEquals(first, again.predict(probe.x(), probe.rows()), 0f,
                    "same seed, same data: identical predictions");
        }
    }

    @Test
    void predictionsAreProbabilitiesAndEsmmProduct() {
        final TestModels.Data d = TestModels.data(50, 3);
        final float[] p = TestModels.trained().predict(d.x(), d.rows());
        for (int r = 0; r < d.rows(); r++) {
            final float click = p[r * 3];
            final float like = p[r * 3 + 1];
            final float both = p[r * 3 + 2];
            assertTrue(click > 0 && click < 1 && like > 0 && like < 1, "row " + r);
            assertEquals(click * like, both, 1e-6, "p_click_like = p_click * p_like at row " + r);
        }
    }

    @Test
    void exportedSavedModelMatchesGoldenPredictions(@TempDir final Path dir) throws Exception {
        final RankerManifest written = TestModels.trained().export(dir, "ranker-test-1");
        assertTrue(Files.isRegularFile(dir.resolve("saved_model/saved_model.pb")));
        final RankerManifest read = RankerManifest.read(dir);
        assertEquals(written, read);
        assertEquals(TestModels.FEATURES, read.featureNames());
        final GoldenPredictions golden = GoldenPredictions.read(dir.resolve(RankerManifest.GOLDEN_FILE_NAME));
        assertEquals(8, golden.rows());
        try (SavedModelScorer scorer = SavedModelScorer.openBundle(dir)) {
            assertEquals("ranker-test-1", scorer.version());
            assertEquals(read.headNames(), scorer.headNames());
            assertTrue(golden.maxAbsoluteError(scorer) <= 1e-6, "golden drift " + golden.maxAbsoluteError(scorer));
            // And on rows the trainer never saw, through several row buckets (padding must not leak).
            for (final int rows : new int[] {1, 63, 64, 65, 700, 1500}) {
                final TestModels.Data d = TestModels.data(rows, rows);
                final float[] out = new float[rows * 3];
                scorer.score(d.x(), rows, out);
                assertArrayEquals(TestModels.trained().predict(d.x(), rows), out, 1e-6f, rows + " rows");
            }
        }
    }

    @Test
    void aucOfKnownRanking() {
        assertEquals(1.0, Auc.of(new float[] {0.1f, 0.2f, 0.8f, 0.9f}, new float[] {0, 0, 1, 1}, 4), 1e-12);
        assertEquals(0.0, Auc.of(new float[] {0.9f, 0.8f, 0.2f, 0.1f}, new float[] {0, 0, 1, 1}, 4), 1e-12);
        assertEquals(0.5, Auc.of(new float[] {0.5f, 0.5f, 0.5f, 0.5f}, new float[] {0, 1, 0, 1}, 4), 1e-12);
        assertEquals(0.75, Auc.of(new float[] {0.1f, 0.6f, 0.5f, 0.9f}, new float[] {0, 0, 1, 1}, 4), 1e-12);
    }
}
