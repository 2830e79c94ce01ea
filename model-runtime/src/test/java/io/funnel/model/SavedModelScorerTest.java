package io.funnel.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.SavedModelBundle;

class SavedModelScorerTest {

    private static void assertMessage(final ModelException e, final Path path, final String what) {
        assertTrue(e.getMessage().contains(path.toString()), "names the path: " + e.getMessage());
        assertTrue(e.getMessage().contains(what), "says what is wrong: " + e.getMessage());
    }

    @Test
    void missingDirectory(@TempDir final Path tmp) {
        final Path dir = tmp.resolve("absent");
        assertMessage(assertThrows(ModelException.class, () -> SavedModelScorer.builder(dir).build()), dir,
                "does not exist");
    }

    @Test
    void directoryWithoutSavedModel(@TempDir final Path tmp) {
        assertMessage(assertThrows(ModelException.class, () -> SavedModelScorer.builder(tmp).build()), tmp,
                "saved_model.pb is missing");
    }

    @Test
    void corruptGraphFile(@TempDir final Path tmp) throws IOException {
        Files.write(tmp.resolve("saved_model.pb"), new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9});
        assertMessage(assertThrows(ModelException.class, () -> SavedModelScorer.builder(tmp).build()), tmp,
                "TensorFlow cannot load the SavedModel");
    }

    @Test
    void incompatibleSignature() {
        final Path bundle = TestModels.bundle("sig");
        final Path savedModel = bundle.resolve("saved_model");
        assertMessage(assertThrows(ModelException.class, () -> SavedModelScorer.builder(savedModel)
                .headNames(List.of("p_click", "p_convert")).build()), savedModel, "has no output 'p_convert'");
        assertMessage(assertThrows(ModelException.class, () -> SavedModelScorer.builder(savedModel)
                .featureNames(List.of("a", "b")).build()), savedModel, "takes 8 features per row");
        assertMessage(assertThrows(ModelException.class, () -> SavedModelScorer.builder(savedModel)
                .signatureKey("predict").build()), savedModel, "signature 'predict' not found");
        assertMessage(assertThrows(ModelException.class, () -> SavedModelScorer.builder(savedModel)
                .tag("train").build()), savedModel, "tag 'train'");
    }

    @Test
    void exportedGraphIsForwardOnly() {
        final Path bundle = TestModels.bundle("clean");
        try (SavedModelBundle raw = SavedModelBundle.load(bundle.resolve("saved_model").toString())) {
            final var ops = raw.metaGraphDef().getGraphDef().getNodeList().stream().map(n -> n.getOp()).toList();
            assertFalse(ops.stream().anyMatch(op -> op.startsWith("ApplyAdam") || op.startsWith("Adam")),
                    "no optimizer ops: " + ops);
            assertFalse(raw.metaGraphDef().getGraphDef().getNodeList().stream()
                    .anyMatch(n -> n.getName().startsWith("label_") || n.getName().equals("loss")), "no training ops");
            final List<String> inputs = raw.metaGraphDef().getGraphDef().getNodeList().stream()
                    .filter(n -> n.getOp().equals("Placeholder")).map(n -> n.getName())
                    .filter(name -> !name.startsWith("save")).toList();
            assertEquals(List.of("features"), inputs, "one input besides the saver's file name");
        }
    }

    @Test
    void concurrentCallersGetCorrectScores() throws Exception {
        final Path bundle = TestModels.bundle("concurrent");
        try (SavedModelScorer scorer = SavedModelScorer.openBundle(bundle)) {
            assertEquals(TestModels.FEATURES, scorer.featureNames());
            assertEquals(List.of("p_click", "p_like", "p_click_like"), scorer.headNames());
            final ExecutorService pool = Executors.newFixedThreadPool(3);
            try {
                final List<Future<?>> futures = new java.util.ArrayList<>();
                for (int t = 0; t < 3; t++) {
                    final int seed = t;
                    futures.add(pool.submit(() -> {
                        for (int i = 0; i < 30; i++) {
                            final int rows = 1 + (seed * 131 + i * 37) % 300;
                            final TestModels.Data d = TestModels.data(rows, seed * 1000L + i);
                            final float[] out = new float[rows * 3];
                            scorer.score(d.x(), rows, out);
                            assertArrayEquals(TestModels.trained().predict(d.x(), rows), out, 1e-6f);
                        }
                        return null;
                    }));
                }
                for (final Future<?> f : futures) {
                    f.get();
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void rowBucketsCoverEverySize() {
        assertEquals(16, SavedModelScorer.bucketRows(1));
        assertEquals(16, SavedModelScorer.bucketRows(16));
        assertEquals(112, SavedModelScorer.bucketRows(100));
        assertEquals(1008, SavedModelScorer.bucketRows(1000));
        assertEquals(1024, SavedModelScorer.bucketRows(1024));
        assertEquals(1280, SavedModelScorer.bucketRows(1025));
        assertEquals(2048, SavedModelScorer.bucketRows(1944));
        assertEquals(8192, SavedModelScorer.bucketRows(8192));
        assertEquals(16384, SavedModelScorer.bucketRows(8193));
        assertEquals(0, SavedModelScorer.bucketIndex(16));
        assertEquals(63, SavedModelScorer.bucketIndex(1024));
        assertEquals(64, SavedModelScorer.bucketIndex(1280));
        assertEquals(91, SavedModelScorer.bucketIndex(8192));
        assertEquals(92, SavedModelScorer.bucketIndex(16384));
        assertEquals(94, SavedModelScorer.bucketIndex(1 << 16));
        // Every size maps to a bucket that holds it, and bucket indexes are distinct and dense.
        int previousIndex = -1;
        int previousRows = 0;
        for (int rows = 1; rows <= 1 << 16; rows++) {
            final int padded = SavedModelScorer.bucketRows(rows);
            assertTrue(padded >= rows, "bucket of " + rows);
            if (padded != previousRows) {
                assertEquals(previousIndex + 1, SavedModelScorer.bucketIndex(padded), "index of " + padded);
                previousIndex++;
                previousRows = padded;
            }
        }
    }
}
