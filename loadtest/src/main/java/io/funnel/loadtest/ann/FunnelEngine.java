package io.funnel.loadtest.ann;

import io.funnel.ann.HnswVectorIndex;
import io.funnel.ann.Metric;
import io.funnel.ann.OrdinalFilter;
import io.funnel.ann.Quantization;
import io.funnel.ann.SearchResults;
import io.funnel.ann.VectorOps;

/** Funnel's own {@link HnswVectorIndex}. */
final class FunnelEngine implements AnnEngine {
    private final Metric metric;
    private final int maxDegree;
    private final int buildBeam;
    private final float alpha;
    private final Quantization quantization;
    private final SearchResults results = new SearchResults(16);
    private HnswVectorIndex index;

    FunnelEngine(final Metric metric, final int maxDegree, final int buildBeam, final float alpha,
            final Quantization quantization) {
        this.alpha = alpha;
        this.metric = metric;
        this.maxDegree = maxDegree;
        this.buildBeam = buildBeam;
        this.quantization = quantization;
    }

    @Override
    public String name() {
        return quantization == Quantization.INT8 ? "funnel-int8" : "funnel";
    }

    @Override
    public String settings() {
        return "HnswVectorIndex maxDegree=" + maxDegree + " (level 0: " + 2 * maxDegree + ") buildBeam=" + buildBeam
                + " alpha=" + alpha + " quantization=" + quantization + " kernels=" + VectorOps.provider().name();
    }

    @Override
    public void build(final float[][] base, final int threads) {
        index = HnswVectorIndex.builder(base[0].length, metric)
                .maxDegree(maxDegree)
                .buildBeam(buildBeam)
                .alpha(alpha)
                .quantization(quantization)
                .buildThreads(threads)
                .initialCapacity(base.length)
                .build();
        index.addAll(base, 0);
    }

    @Override
    public int search(final float[] query, final int k, final int beam, final int[] out) {
        final int n = index.search(query, k, beam, OrdinalFilter.ALL, results);
        for (int i = 0; i < n; i++) {
            out[i] = results.ordinal(i);
        }
        return n;
    }

    @Override
    public long memoryBytes() {
        return index.memoryBytes();
    }

    HnswVectorIndex index() {
        return index;
    }
}
