package io.funnel.loadtest.ann;

import com.github.jelmerk.knn.DistanceFunction;
import com.github.jelmerk.knn.Item;
import com.github.jelmerk.knn.Jdk17DistanceFunctions;
import com.github.jelmerk.knn.SearchResult;
import com.github.jelmerk.knn.hnsw.HnswIndex;
import io.funnel.ann.Metric;
import java.util.ArrayList;
import java.util.List;

/**
 * hnswlib-core (Java port of hnswlib) with the Vector API distances of hnswlib-core-jdk17
 * ({@code VECTOR_FLOAT_256_*}, as its README recommends on JDK 17+), M=16, efConstruction=200, ef = beam.
 */
final class HnswlibEngine implements AnnEngine {
    private final Metric metric;
    private final int m;
    private final int efConstruction;
    private HnswIndex<Integer, float[], Row, Float> index;
    private int currentEf = -1;
    private long heapBytes;

    /** One indexed vector. */
    record Row(Integer id, float[] vector) implements Item<Integer, float[]> {
        @Override
        public int dimensions() {
            return vector.length;
        }
    }

    HnswlibEngine(final Metric metric, final int m, final int efConstruction) {
        this.metric = metric;
        this.m = m;
        this.efConstruction = efConstruction;
    }

    @Override
    public String name() {
        return "hnswlib";
    }

    @Override
    public String settings() {
        return "hnswlib-core 1.1.2 M=" + m + " efConstruction=" + efConstruction + " distance=VECTOR_FLOAT_256 ("
                + metric + ") from hnswlib-core-jdk17, ef=beam";
    }

    @Override
    public void build(final float[][] base, final int threads) throws InterruptedException {
        final DistanceFunction<float[], Float> distance = switch (metric) {
            case L2 -> Jdk17DistanceFunctions.VECTOR_FLOAT_256_EUCLIDEAN_DISTANCE;
            case INNER_PRODUCT -> Jdk17DistanceFunctions.VECTOR_FLOAT_256_INNER_PRODUCT;
            case COSINE -> Jdk17DistanceFunctions.VECTOR_FLOAT_256_COSINE_DISTANCE;
        };
        index = null; // a repeated build must not count the previous index
        final long before = usedHeap();
        index = HnswIndex.newBuilder(base[0].length, distance, base.length)
                .withM(m)
                .withEfConstruction(efConstruction)
                .withEf(efConstruction)
                .build();
        final List<Row> rows = new ArrayList<>(base.length);
        for (int i = 0; i < base.length; i++) {
            rows.add(new Row(i, base[i].clone()));
        }
        index.addAll(rows, threads, (done, max) -> {}, Integer.MAX_VALUE);
        rows.clear();
        heapBytes = usedHeap() - before;
    }

    private static long usedHeap() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        final Runtime rt = Runtime.getRuntime();
        return rt.totalMemory() - rt.freeMemory();
    }

    @Override
    public int search(final float[] query, final int k, final int beam, final int[] out) {
        if (beam != currentEf) {
            index.setEf(beam);
            currentEf = beam;
        }
        final List<SearchResult<Row, Float>> hits = index.findNearest(query, k);
        final int n = Math.min(k, hits.size());
        for (int i = 0; i < n; i++) {
            out[i] = hits.get(i).item().id();
        }
        return n;
    }

    @Override
    public long memoryBytes() {
        return heapBytes;
    }
}
