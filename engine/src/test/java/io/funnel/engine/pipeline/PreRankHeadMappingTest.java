package io.funnel.engine.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.funnel.model.DotProductPreRanker;
import io.funnel.model.PreRankHead;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A trained pre-rank head becomes the SIMD linear model over the pipeline's own pre-rank row. */
class PreRankHeadMappingTest {
    @Test
    void weightsFollowTheChannelOrderAndMissingChannelsWeighNothing() {
        final PreRankHead head = new PreRankHead(List.of("dot", "popular", "itemcf", "ann", "category_affinity"),
                List.of(2f, 3f, 5f, 7f, 11f), 1f);
        // This pipeline has no item-CF channel and puts ann before popular.
        final DotProductPreRanker model = Pipeline.preRanker(head, new String[] {"ann", "popular"}, 2);
        final float[] out = new float[1];
        // Row: ann 0.2, popular 0.1, category share 0.3; user . item = 0.5.
        model.score(new float[] {1f, 0f}, new float[] {0.5f, 9f}, new float[] {0.2f, 0.1f, 0.3f}, 1, out);
        assertEquals(1 + 2 * 0.5 + 7 * 0.2 + 3 * 0.1 + 11 * 0.3, out[0], 1e-5);
    }

    @Test
    void theDefaultHeadIsTheHandSetBlend() {
        final DotProductPreRanker model = Pipeline.preRanker(Pipeline.DEFAULT_PRE_RANK,
                new String[] {"popular", "itemcf", "ann"}, 1);
        final float[] out = new float[1];
        model.score(new float[] {2f}, new float[] {1f}, new float[] {0.1f, 0.2f, 0.3f, 0.4f}, 1, out);
        assertEquals(0.5 * 2 + 0.1 + 0.2 + 0.3 + 0.5 * 0.4, out[0], 1e-5);
    }
}
