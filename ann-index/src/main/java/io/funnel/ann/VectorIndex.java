package io.funnel.ann;

/**
 * An index of float vectors addressed by dense item ordinals ({@code 0..n-1}), answering top-k queries.
 *
 * <p>Threading: one writer thread may call {@link #add} and {@link #remove} while any number of threads call
 * {@link #search}. A search sees a consistent index, but may or may not see a concurrent insert or removal.
 */
public interface VectorIndex extends AutoCloseable {
    /** Number of dimensions of every vector. */
    int dimension();

    /** The metric the scores are computed with. */
    Metric metric();

    /** Number of live (not removed) vectors. */
    int size();

    /**
     * Inserts or replaces the vector of {@code ordinal}. The array is copied.
     *
     * @throws IllegalArgumentException if the length is not {@link #dimension()}, a component is NaN or infinite, or
     *     the ordinal is negative
     */
    void add(int ordinal, float[] vector);

    /** Removes {@code ordinal}; returns {@code false} if it was not present. */
    boolean remove(int ordinal);

    /**
     * Finds the {@code k} best-scoring vectors accepted by {@code filter}, best first, into {@code out}.
     *
     * @param query a vector of {@link #dimension()} components; not modified
     * @return the number of results written, at most {@code k}
     * @throws IllegalArgumentException if the query has the wrong length or is not finite
     */
    int search(float[] query, int k, OrdinalFilter filter, SearchResults out);

    @Override
    default void close() {}
}
