package io.funnel.loadtest.ann;

/**
 * One ANN library under test, adapted to the benchmark's needs: build once, then answer top-10 queries at a given
 * search beam. Implementations own their index and are used from one thread at a time.
 */
interface AnnEngine extends AutoCloseable {
    /** Short name used in the report, e.g. {@code funnel} or {@code lucene}. */
    String name();

    /** The settings in words, for the report. */
    String settings();

    /** Builds the index over {@code base} (ordinal = row) on up to {@code threads} threads. */
    void build(float[][] base, int threads) throws Exception;

    /** Writes the ordinals of the {@code k} nearest neighbours of {@code query} into {@code out}, best first. */
    int search(float[] query, int k, int beam, int[] out) throws Exception;

    /** Bytes of memory (heap, off-heap or mapped) the built index holds, as the library reports it or estimated. */
    long memoryBytes();

    @Override
    default void close() throws java.io.IOException {}
}
