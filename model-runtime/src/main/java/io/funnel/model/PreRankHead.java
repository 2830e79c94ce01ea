package io.funnel.model;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.nio.file.Path;
import java.util.List;

/**
 * The pre-ranker's linear head, as trained: {@code score = bias + Σ weights[i] · feature(featureNames[i])} over
 * named rank features, where {@code "dot"} is the user-item embedding dot product and the other names are columns
 * of the ranker's input (for example {@code "popular"}, {@code "itemcf"}, {@code "ann"}: a retrieval channel's
 * normalised score; {@code "category_affinity"}: the user's share of recent items in the candidate's category). A
 * name the serving pipeline does not compute contributes nothing. Stored as the optional {@code pre_rank} object of
 * a ranker {@link RankerManifest}; the engine turns it into a {@link DotProductPreRanker}.
 *
 * <p>Threading: immutable.
 *
 * @param featureNames the features, distinct
 * @param weights one weight per feature, on the features' raw scale
 * @param bias added to every score (does not change the order; kept for the probability scale)
 */
public record PreRankHead(
        @JsonProperty("feature_names") List<String> featureNames,
        @JsonProperty("weights") List<Float> weights,
        @JsonProperty("bias") float bias) {
    /** Copies the lists; nulls are kept so that {@link #validate(Path)} can name them. */
    public PreRankHead {
        featureNames = featureNames == null ? null : List.copyOf(featureNames);
        weights = weights == null ? null : List.copyOf(weights);
    }

    /** The weight of {@code name}, or 0 when the head does not use it. */
    public float weight(final String name) {
        final int i = featureNames.indexOf(name);
        return i < 0 ? 0f : weights.get(i);
    }

    /**
     * Checks the fields.
     *
     * @param file named in the error
     * @throws ModelException naming the file and the first bad field
     */
    public void validate(final Path file) {
        if (featureNames == null || featureNames.isEmpty()) {
            throw ModelException.at(file, "field 'pre_rank.feature_names' must list at least one feature");
        }
        if (featureNames.stream().distinct().count() != featureNames.size()) {
            throw ModelException.at(file, "field 'pre_rank.feature_names' has duplicates: " + featureNames);
        }
        if (weights == null || weights.size() != featureNames.size()) {
            throw ModelException.at(file, "field 'pre_rank.weights' must hold one weight per feature ("
                    + featureNames.size() + "), got " + (weights == null ? "none" : weights.size()));
        }
        for (int i = 0; i < weights.size(); i++) {
            if (weights.get(i) == null || !Float.isFinite(weights.get(i))) {
                throw ModelException.at(file, "field 'pre_rank.weights' has a non-finite weight for '"
                        + featureNames.get(i) + "': " + weights.get(i));
            }
        }
        if (!Float.isFinite(bias)) {
            throw ModelException.at(file, "field 'pre_rank.bias' is not finite: " + bias);
        }
    }
}
