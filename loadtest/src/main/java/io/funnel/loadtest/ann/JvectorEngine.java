package io.funnel.loadtest.ann;

import io.funnel.ann.Metric;
import io.github.jbellis.jvector.graph.GraphIndexBuilder;
import io.github.jbellis.jvector.graph.GraphSearcher;
import io.github.jbellis.jvector.graph.ImmutableGraphIndex;
import io.github.jbellis.jvector.graph.ListRandomAccessVectorValues;
import io.github.jbellis.jvector.graph.SearchResult;
import io.github.jbellis.jvector.graph.similarity.BuildScoreProvider;
import io.github.jbellis.jvector.graph.similarity.DefaultSearchScoreProvider;
import io.github.jbellis.jvector.util.Bits;
import io.github.jbellis.jvector.vector.VectorSimilarityFunction;
import io.github.jbellis.jvector.vector.VectorizationProvider;
import io.github.jbellis.jvector.vector.types.VectorFloat;
import io.github.jbellis.jvector.vector.types.VectorTypeSupport;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ForkJoinPool;

/**
 * jvector's on-heap graph (fp32, no PQ): maxDegree 16, beam 100, neighbour overflow 1.2, alpha 1.2, hierarchy on,
 * searched with exact scores and rerankK = beam.
 */
final class JvectorEngine implements AnnEngine {
    private static final VectorTypeSupport VTS = VectorizationProvider.getInstance().getVectorTypeSupport();
    private final Metric metric;
    private final int maxDegree;
    private final int beamWidth;
    private ListRandomAccessVectorValues vectors;
    private ImmutableGraphIndex graph;
    private GraphSearcher searcher;
    private VectorSimilarityFunction similarity;

    JvectorEngine(final Metric metric, final int maxDegree, final int beamWidth) {
        this.metric = metric;
        this.maxDegree = maxDegree;
        this.beamWidth = beamWidth;
    }

    @Override
    public String name() {
        return "jvector";
    }

    @Override
    public String settings() {
        return "jvector 4.0.0-rc.5 fp32 maxDegree=" + maxDegree + " beamWidth=" + beamWidth
                + " neighborOverflow=1.2 alpha=1.2 addHierarchy=true refineFinalGraph=true, rerankK=beam, "
                + VectorizationProvider.getInstance().getClass().getSimpleName();
    }

    @Override
    public void build(final float[][] base, final int threads) throws Exception {
        final List<VectorFloat<?>> list = new ArrayList<>(base.length);
        for (final float[] v : base) {
            list.add(VTS.createFloatVector(v.clone()));
        }
        vectors = new ListRandomAccessVectorValues(list, base[0].length);
        similarity = switch (metric) {
            case L2 -> VectorSimilarityFunction.EUCLIDEAN;
            case INNER_PRODUCT -> VectorSimilarityFunction.DOT_PRODUCT;
            case COSINE -> VectorSimilarityFunction.COSINE;
        };
        final BuildScoreProvider bsp = BuildScoreProvider.randomAccessScoreProvider(vectors, similarity);
        final ForkJoinPool pool = new ForkJoinPool(threads);
        try (GraphIndexBuilder builder = new GraphIndexBuilder(
                bsp, base[0].length, maxDegree, beamWidth, 1.2f, 1.2f, true, true, pool, pool)) {
            graph = builder.build(vectors);
        } finally {
            pool.shutdown();
        }
        searcher = new GraphSearcher(graph);
    }

    @Override
    public int search(final float[] query, final int k, final int beam, final int[] out) {
        final VectorFloat<?> q = VTS.createFloatVector(query);
        final SearchResult result = searcher.search(
                DefaultSearchScoreProvider.exact(q, similarity, vectors), k, Math.max(k, beam), 0f, 0f, Bits.ALL);
        final SearchResult.NodeScore[] nodes = result.getNodes();
        final int n = Math.min(k, nodes.length);
        for (int i = 0; i < n; i++) {
            out[i] = nodes[i].node;
        }
        return n;
    }

    @Override
    public long memoryBytes() {
        return graph.ramBytesUsed() + (long) vectors.size() * vectors.dimension() * Float.BYTES;
    }

    @Override
    public void close() throws java.io.IOException {
        if (searcher != null) {
            searcher.close();
        }
    }
}
