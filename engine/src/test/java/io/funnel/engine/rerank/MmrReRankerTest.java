package io.funnel.engine.rerank;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.funnel.engine.pipeline.CandidateSet;
import io.funnel.engine.pipeline.Candidates;
import io.funnel.features.ItemColumns;
import org.junit.jupiter.api.Test;

class MmrReRankerTest {
    /** Six candidates: three near-duplicates in category 0 with the best scores, then three distinct ones. */
    private static CandidateSet set;
    private static ItemColumns items;

    private static void build() {
        final Candidates c = new Candidates(8);
        final float[] relevance = {1.0f, 0.98f, 0.96f, 0.9f, 0.85f, 0.8f};
        for (int i = 0; i < relevance.length; i++) {
            c.add(i, relevance[i]);
        }
        set = new CandidateSet(1, 8);
        set.merge(0, c);
        for (int i = 0; i < set.count(); i++) {
            set.score(i, relevance[i]);
        }
        items = new ItemColumns(2, 8);
        items.reset(6);
        final float[][] vectors = {{1, 0}, {1, 0.01f}, {1, 0.02f}, {0, 1}, {-1, 0}, {0, -1}};
        final int[] categories = {0, 0, 0, 1, 2, 3};
        for (int i = 0; i < 6; i++) {
            items.embeddings()[2 * i] = vectors[i][0];
            items.embeddings()[2 * i + 1] = vectors[i][1];
            items.category()[i] = categories[i];
        }
    }

    @Test
    void lambdaOneIsRelevanceOrder() {
        build();
        final int[] out = new int[6];
        assertEquals(4, new MmrReRanker(1.0, 0.3).select(set, items, 4, out));
        assertArrayEquals(new int[] {0, 1, 2, 3}, java.util.Arrays.copyOf(out, 4));
    }

    @Test
    void diversityPushesNearDuplicatesDown() {
        build();
        final int[] out = new int[6];
        new MmrReRanker(0.6, 0.3).select(set, items, 4, out);
        assertEquals(0, out[0], "the most relevant item still leads");
        // The next two slots go to distinct items, not to the near-duplicates of the first.
        for (int i = 1; i < 3; i++) {
            assertEquals(true, out[i] >= 3, "slot " + i + " took near-duplicate " + out[i]);
        }
    }

    @Test
    void asksForMoreThanThereAre() {
        build();
        final int[] out = new int[10];
        assertEquals(6, new MmrReRanker(0.7, 0.3).select(set, items, 10, out));
        assertEquals(6, java.util.Arrays.stream(out, 0, 6).distinct().count(), "no item twice");
    }
}
