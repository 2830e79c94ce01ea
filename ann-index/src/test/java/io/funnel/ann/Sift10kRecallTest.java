package io.funnel.ann;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Recall of the HNSW index on SIFT10K against the published ground truth (a correctness bar, not a timing). */
class Sift10kRecallTest {
    static float[][] base;
    static float[][] queries;
    static int[][] truth;

    @BeforeAll
    static void load() throws IOException {
        final Path dir = SharedData.sift10k();
        assumeTrue(dir != null, "SIFT10K not found under -Dfunnel.shared.data; skipping");
        base = VectorFiles.readFvecs(dir.resolve("siftsmall_base.fvecs"));
        queries = VectorFiles.readFvecs(dir.resolve("siftsmall_query.fvecs"));
        truth = VectorFiles.readIvecs(dir.resolve("siftsmall_groundtruth.ivecs"));
    }

    static double recallAt10(final VectorIndex index, final int beam) {
        final SearchResults out = new SearchResults(10);
        int hits = 0;
        for (int q = 0; q < queries.length; q++) {
            if (index instanceof HnswVectorIndex h) {
                h.search(queries[q], 10, beam, OrdinalFilter.ALL, out);
            } else {
                index.search(queries[q], 10, OrdinalFilter.ALL, out);
            }
            hits += overlap(out, truth[q], 10);
        }
        return hits / (10.0 * queries.length);
    }

    static int overlap(final SearchResults out, final int[] expected, final int k) {
        int hits = 0;
        for (int i = 0; i < out.count(); i++) {
            for (int j = 0; j < k; j++) {
                if (out.ordinal(i) == expected[j]) {
                    hits++;
                    break;
                }
            }
        }
        return hits;
    }

    @Test
    void defaultBeamReachesRecall095() {
        final HnswVectorIndex index = HnswVectorIndex.builder(128, Metric.L2).initialCapacity(base.length).build();
        index.addAll(base, 0);
        final double recall = recallAt10(index, index.searchBeam());
        System.out.printf("SIFT10K recall@10 at default beam %d = %.4f (%s)%n", index.searchBeam(), recall,
                VectorOps.provider().name());
        assertTrue(recall >= 0.95, "recall@10 " + recall + " < 0.95 at the default beam");
    }

    @Test
    void int8TraversalWithExactRescoreReachesRecall095() {
        final HnswVectorIndex index = HnswVectorIndex.builder(128, Metric.L2)
                .quantization(Quantization.INT8)
                .initialCapacity(base.length)
                .build();
        index.addAll(base, 0);
        final double recall = recallAt10(index, index.searchBeam());
        assertTrue(recall >= 0.95, "int8 recall@10 " + recall + " < 0.95 at the default beam");
    }

    @Test
    void flatIndexIsExact() {
        final FlatVectorIndex flat = new FlatVectorIndex(128, Metric.L2, base.length);
        for (int i = 0; i < base.length; i++) {
            flat.add(i, base[i]);
        }
        final double recall = recallAt10(flat, 0);
        assertTrue(recall >= 0.999, "exact recall@10 " + recall);
    }
}
