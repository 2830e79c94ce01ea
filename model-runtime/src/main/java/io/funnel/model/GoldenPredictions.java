package io.funnel.model;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The {@code golden.json} beside a ranker's manifest: a few input rows and the predictions the trainer's own
 * session made for them. {@link ModelRegistry} replays them through the freshly loaded scorer and rejects a bundle
 * whose predictions drift, which catches a corrupt or mismatched variables file before it serves.
 *
 * <p>Threading: immutable by convention (the arrays are not copied; do not modify them).
 *
 * @param featureNames input columns, as in the manifest
 * @param headNames output heads, as in the manifest
 * @param inputs one array of {@code featureNames.size()} values per row
 * @param outputs one array of {@code headNames.size()} probabilities per row
 */
public record GoldenPredictions(
        @JsonProperty("feature_names") List<String> featureNames,
        @JsonProperty("head_names") List<String> headNames,
        @JsonProperty("inputs") float[][] inputs,
        @JsonProperty("outputs") float[][] outputs) {

    /** Reads {@code file}. @throws ModelException naming the file when it does not parse or is inconsistent */
    public static GoldenPredictions read(final Path file) {
        final GoldenPredictions golden;
        try {
            golden = RankerManifest.JSON.readValue(file.toFile(), GoldenPredictions.class);
        } catch (IOException e) {
            throw ModelException.at(file, "golden predictions do not parse", e);
        }
        if (golden == null || golden.inputs == null || golden.outputs == null
                || golden.inputs.length != golden.outputs.length) {
            throw ModelException.at(file, "golden predictions need as many 'inputs' rows as 'outputs' rows");
        }
        return golden;
    }

    /** Writes {@code golden} to {@code file}. */
    public static void write(final Path file, final GoldenPredictions golden) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        RankerManifest.JSON.writeValue(file.toFile(), golden);
    }

    /** Number of rows. */
    public int rows() {
        return inputs.length;
    }

    /**
     * Scores the golden inputs with {@code scorer} and returns the largest absolute difference to the recorded
     * outputs.
     *
     * @throws ModelException when the scorer's feature or head count differs from the golden file's
     */
    public double maxAbsoluteError(final Scorer scorer) {
        final int f = scorer.featureCount();
        final int h = scorer.headCount();
        final int rows = rows();
        if (rows == 0) {
            return 0;
        }
        final float[] x = new float[rows * f];
        for (int r = 0; r < rows; r++) {
            if (inputs[r].length != f || outputs[r].length != h) {
                throw new ModelException("golden row " + r + " has " + inputs[r].length + " inputs and "
                        + outputs[r].length + " outputs; the model takes " + f + " and returns " + h);
            }
            System.arraycopy(inputs[r], 0, x, r * f, f);
        }
        final float[] out = new float[rows * h];
        scorer.score(x, rows, out);
        double worst = 0;
        for (int r = 0; r < rows; r++) {
            for (int k = 0; k < h; k++) {
                worst = Math.max(worst, Math.abs(out[r * h + k] - outputs[r][k]));
            }
        }
        return worst;
    }
}
