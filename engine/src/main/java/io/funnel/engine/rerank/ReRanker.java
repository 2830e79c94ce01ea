package io.funnel.engine.rerank;

import io.funnel.engine.pipeline.CandidateSet;
import io.funnel.features.ItemColumns;

/**
 * The final stage: picks and orders the items the user will see from the ranked candidates.
 *
 * <p>Threading: implementations are stateless or keep per-thread scratch; called on the request's event loop.
 */
public interface ReRanker {
    /** Name in responses and config, e.g. {@code mmr}. */
    String name();

    /**
     * Chooses up to {@code count} candidates.
     *
     * @param set candidates with their final relevance in {@link CandidateSet#score(int)}
     * @param items the candidates' hydrated rows, same positions as {@code set}
     * @param out positions into {@code set}, in display order
     * @return the number of positions written
     */
    int select(CandidateSet set, ItemColumns items, int count, int[] out);
}
