package io.funnel.engine.rerank;

import io.funnel.engine.pipeline.CandidateSet;
import io.funnel.engine.retrieval.ItemAttributes;
import io.funnel.features.ItemColumns;

/**
 * Picks and orders the displayed items from the ranked candidates, one slot at a time, respecting the
 * {@link SlotConstraints}. Implementations differ in how they value a candidate given what is already placed.
 *
 * <p>Threading: implementations keep per-thread scratch; called on the request's thread.
 */
public interface Selector {
    /** Name in config and metrics: {@code greedy}, {@code mmr}, {@code dpp}. */
    String name();

    /**
     * Chooses up to {@code count} candidates.
     *
     * @param relevance per candidate (same positions as {@code set}), higher is better; {@code NEGATIVE_INFINITY}
     *     marks a candidate that must not be shown
     * @param items the candidates' hydrated rows (embeddings, categories), same positions
     * @param out positions into {@code set}, in display order
     * @return the number written; fewer than {@code count} when the constraints leave nothing to place
     */
    int select(CandidateSet set, float[] relevance, ItemColumns items, ItemAttributes attributes, int count,
            SlotConstraints constraints, int[] out);
}
