package io.funnel.model;

import java.util.List;

/**
 * A ranking model: scores a batch of candidate rows, each a fixed-width float feature vector, on one or more heads
 * (for example p(click) and p(like | click)).
 *
 * <p>Threading: implementations are safe to call from several threads at once unless they say otherwise; the
 * engine calls them from the event loop (in-memory models) or from the micro-batcher's thread (TensorFlow).
 */
public interface Scorer extends AutoCloseable {
    /** Identifies the model in responses and metrics, e.g. {@code "logistic-20261123T0930"}. */
    String version();

    /** Names of the input features, in column order. */
    List<String> featureNames();

    /** Names of the output heads, in output order. */
    List<String> headNames();

    /** Number of input features per row. */
    default int featureCount() {
        return featureNames().size();
    }

    /** Number of outputs per row. */
    default int headCount() {
        return headNames().size();
    }

    /**
     * Scores {@code rows} rows.
     *
     * @param features row-major, {@code rows * featureCount()} values
     * @param out row-major, {@code rows * headCount()} probabilities in [0, 1] are written here
     */
    void score(float[] features, int rows, float[] out);

    /**
     * The pre-ranker's head trained together with this model, or {@code null} when there is none (the engine then
     * keeps its own). Follows the model: a registry's live scorer answers for the version serving now.
     */
    default PreRankHead preRankHead() {
        return null;
    }

    @Override
    default void close() {}
}
