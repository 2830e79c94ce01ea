package io.funnel.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code manifest.json} of a ranker bundle directory ({@code <bundle>/ranker/}): what the model expects and
 * produces. Written by {@link io.funnel.model.train.RankerTrainer}, read by {@link ModelRegistry} and
 * {@link SavedModelScorer#openBundle(Path)}.
 *
 * <pre>{@code
 * {
 *   "format" : "funnel-ranker/1",
 *   "version" : "ranker-20261123T093000Z",
 *   "created_at" : "2026-11-23T09:30:00Z",
 *   "model" : "dcn2-esmm",
 *   "saved_model" : "saved_model",
 *   "signature" : "serving_default",
 *   "input" : "features",
 *   "feature_names" : [ "item_ctr", "user_item_affinity", ... ],
 *   "head_names" : [ "p_click", "p_like", "p_click_like" ],
 *   "metrics" : { "auc_click" : 0.74, "auc_like" : 0.69, "auc_click_like" : 0.77, "train_rows" : 90000.0 },
 *   "pre_rank" : { "feature_names" : [ "dot", "popular", ... ], "weights" : [ 0.4, 1.9, ... ], "bias" : -3.1 }
 * }
 * }</pre>
 *
 * <p>Threading: immutable.
 *
 * @param format always {@link #FORMAT}; a different value is an incompatible bundle
 * @param version identifies the model in responses and metrics
 * @param createdAt ISO-8601 instant
 * @param model architecture tag, informational
 * @param savedModel SavedModel directory, relative to the manifest's directory
 * @param signature signature key in the SavedModel
 * @param input signature input key of the {@code [rows, features]} float matrix
 * @param featureNames input columns, in order
 * @param headNames signature output keys, each a {@code [rows]} float vector of probabilities, in output order
 * @param metrics offline metrics (AUC per head, row counts), informational
 * @param preRank the pre-ranker's head trained with this model, or {@code null} (older bundles: the serving default)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RankerManifest(
        @JsonProperty("format") String format,
        @JsonProperty("version") String version,
        @JsonProperty("created_at") String createdAt,
        @JsonProperty("model") String model,
        @JsonProperty("saved_model") String savedModel,
        @JsonProperty("signature") String signature,
        @JsonProperty("input") String input,
        @JsonProperty("feature_names") List<String> featureNames,
        @JsonProperty("head_names") List<String> headNames,
        @JsonProperty("metrics") Map<String, Double> metrics,
        @JsonProperty("pre_rank") PreRankHead preRank) {

    /** The only format this runtime reads. */
    public static final String FORMAT = "funnel-ranker/1";
    /** File name of the manifest inside a ranker bundle directory. */
    public static final String FILE_NAME = "manifest.json";
    /** File name of the golden predictions beside the manifest. */
    public static final String GOLDEN_FILE_NAME = "golden.json";

    static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /** Copies the lists and map; nulls are kept so that {@link #validate(Path)} can name them. */
    public RankerManifest {
        featureNames = featureNames == null ? null : List.copyOf(featureNames);
        headNames = headNames == null ? null : List.copyOf(headNames);
        metrics = metrics == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
    }

    /**
     * Reads and validates {@code dir/manifest.json}.
     *
     * @throws ModelException naming the file and the field when it is missing, does not parse or is invalid
     */
    public static RankerManifest read(final Path dir) {
        final Path file = dir.resolve(FILE_NAME);
        if (!Files.isRegularFile(file)) {
            throw ModelException.at(file, "missing ranker manifest");
        }
        final RankerManifest manifest;
        try {
            manifest = JSON.readValue(file.toFile(), RankerManifest.class);
        } catch (IOException e) {
            throw ModelException.at(file, "manifest does not parse", e);
        }
        if (manifest == null) {
            throw ModelException.at(file, "manifest is empty");
        }
        manifest.validate(file);
        return manifest;
    }

    /** Writes this manifest to {@code dir/manifest.json}. */
    public void write(final Path dir) throws IOException {
        Files.createDirectories(dir);
        JSON.writeValue(dir.resolve(FILE_NAME).toFile(), this);
    }

    /**
     * Checks the required fields.
     *
     * @param file named in the error
     * @throws ModelException naming the file and the first bad field
     */
    public void validate(final Path file) {
        if (!FORMAT.equals(format)) {
            throw ModelException.at(file, "field 'format' must be \"" + FORMAT + "\", got " + quote(format));
        }
        requireText(file, "version", version);
        requireText(file, "created_at", createdAt);
        requireText(file, "saved_model", savedModel);
        requireText(file, "signature", signature);
        requireText(file, "input", input);
        if (featureNames == null || featureNames.isEmpty()) {
            throw ModelException.at(file, "field 'feature_names' must list at least one feature");
        }
        if (headNames == null || headNames.isEmpty()) {
            throw ModelException.at(file, "field 'head_names' must list at least one head");
        }
        if (featureNames.stream().distinct().count() != featureNames.size()) {
            throw ModelException.at(file, "field 'feature_names' has duplicates: " + featureNames);
        }
        if (preRank != null) {
            preRank.validate(file);
        }
    }

    private static void requireText(final Path file, final String field, final String value) {
        if (value == null || value.isBlank()) {
            throw ModelException.at(file, "field '" + field + "' is missing or blank");
        }
    }

    private static String quote(final String s) {
        return s == null ? "nothing" : "\"" + s + "\"";
    }
}
