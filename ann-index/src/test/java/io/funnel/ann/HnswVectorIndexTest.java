package io.funnel.ann;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.BitSet;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class HnswVectorIndexTest {
    private static final int DIM = 24;
    private static final float[][] DATA = TestVectors.clustered(3000, DIM, 1);
    private static final float[][] QUERIES = TestVectors.clustered(100, DIM, 2);

    private static HnswVectorIndex.Builder builder(final Metric metric) {
        return HnswVectorIndex.builder(DIM, metric).maxDegree(12).buildBeam(80).buildThreads(2);
    }

    @ParameterizedTest
    @EnumSource(Metric.class)
    void recallAgainstExactSearchForEveryMetric(final Metric metric) {
        try (HnswVectorIndex index = builder(metric).build()) {
            index.addAll(DATA, 0);
            assertEquals(DATA.length, index.size());
            final double recall = TestVectors.recall(index, TestVectors.flat(DATA, metric), QUERIES, 10,
                    OrdinalFilter.ALL);
            assertTrue(recall >= 0.95, metric + " recall@10 " + recall);
        }
    }

    @Test
    void singleInsertsBuildTheSameQualityAsBulk() {
        try (HnswVectorIndex index = builder(Metric.L2).initialCapacity(1).build()) {
            for (int i = 0; i < DATA.length; i++) {
                index.add(i, DATA[i]);
            }
            final double recall = TestVectors.recall(index, TestVectors.flat(DATA, Metric.L2), QUERIES, 10,
                    OrdinalFilter.ALL);
            assertTrue(recall >= 0.95, "recall@10 " + recall);
        }
    }

    @Test
    void emptyIndexFindsNothing() {
        try (HnswVectorIndex index = builder(Metric.L2).build()) {
            final SearchResults out = new SearchResults(10);
            assertEquals(0, index.search(QUERIES[0], 10, OrdinalFilter.ALL, out));
            assertEquals(0, out.count());
        }
    }

    @Test
    void resultsAreBestFirstAndScoresMatchTheMetric() {
        try (HnswVectorIndex index = builder(Metric.L2).build()) {
            index.addAll(DATA, 0);
            final SearchResults out = new SearchResults(10);
            index.search(DATA[17], 10, OrdinalFilter.ALL, out);
            assertEquals(17, out.ordinal(0), "a stored vector is its own nearest neighbour");
            assertEquals(0f, out.score(0), 1e-6f);
            for (int i = 1; i < out.count(); i++) {
                assertTrue(out.score(i - 1) >= out.score(i), "scores must be best first");
            }
        }
    }

    @Test
    void replacingAnOrdinalKeepsOneLiveCopy() {
        try (HnswVectorIndex index = builder(Metric.L2).build()) {
            index.addAll(DATA, 0);
            final float[] moved = QUERIES[5].clone();
            index.add(3, moved);
            assertEquals(DATA.length, index.size());
            assertEquals(1, index.tombstoneCount());
            final SearchResults out = new SearchResults(10);
            index.search(moved, 1, OrdinalFilter.ALL, out);
            assertEquals(3, out.ordinal(0));
            assertEquals(0f, out.score(0), 1e-6f);
        }
    }

    @Test
    void removedVectorsAreNeverReturnedAndCompactionDropsThem() {
        try (HnswVectorIndex index = builder(Metric.L2).build()) {
            index.addAll(DATA, 0);
            final BitSet removed = new BitSet();
            for (int i = 0; i < DATA.length; i += 3) {
                assertTrue(index.remove(i));
                removed.set(i);
            }
            assertFalse(index.remove(0), "second removal reports absence");
            assertFalse(index.remove(DATA.length + 10), "unknown ordinal");
            assertEquals(DATA.length - removed.cardinality(), index.size());

            final FlatVectorIndex exact = TestVectors.flat(DATA, Metric.L2);
            removed.stream().forEach(exact::remove);
            final Consumer<String> check = when -> {
                final SearchResults out = new SearchResults(10);
                for (final float[] q : QUERIES) {
                    index.search(q, 10, OrdinalFilter.ALL, out);
                    assertEquals(10, out.count(), when);
                    for (int i = 0; i < out.count(); i++) {
                        assertFalse(removed.get(out.ordinal(i)), when + ": removed ordinal " + out.ordinal(i));
                    }
                }
                final double recall = TestVectors.recall(index, exact, QUERIES, 10, OrdinalFilter.ALL);
                assertTrue(recall >= 0.95, when + " recall@10 " + recall);
            };
            check.accept("before compaction");
            final BitSet every = new BitSet();
            every.set(0, DATA.length);
            final SearchResults scanned = new SearchResults(10);
            for (final float[] q : QUERIES) {
                // An enumerating filter scans by ordinal; removed ordinals must stay out there too.
                index.search(q, 10, OrdinalFilter.of(every), scanned);
                for (int i = 0; i < scanned.count(); i++) {
                    assertFalse(removed.get(scanned.ordinal(i)), "scan returned removed " + scanned.ordinal(i));
                }
            }
            assertEquals(removed.cardinality(), index.compact());
            assertEquals(0, index.tombstoneCount());
            assertEquals(index.size(), index.nodeCount());
            check.accept("after compaction");
            // The writer keeps working on the compacted generation.
            index.add(0, DATA[0]);
            final SearchResults out = new SearchResults(1);
            index.search(DATA[0], 1, OrdinalFilter.ALL, out);
            assertEquals(0, out.ordinal(0));
            assertEquals(0, index.compact(), "nothing to drop");
        }
    }

    @ParameterizedTest
    @ValueSource(doubles = {0.01, 0.10, 0.50})
    void filteredSearchKeepsRecallAtEverySelectivity(final double selectivity) {
        final BitSet allowed = new BitSet();
        final SplittableRandom random = new SplittableRandom(99);
        for (int i = 0; i < DATA.length; i++) {
            if (random.nextDouble() < selectivity) {
                allowed.set(i);
            }
        }
        final FlatVectorIndex exact = TestVectors.flat(DATA, Metric.L2);
        // Cost model (default), forced graph walk, forced exact scan, each with a plain predicate and with a filter
        // that enumerates its ordinals: all must keep recall and respect the filter.
        for (final OrdinalFilter filter : new OrdinalFilter[] {allowed::get, OrdinalFilter.of(allowed)})
        for (final double threshold : new double[] {-1, 0, 1}) {
            try (HnswVectorIndex index = builder(Metric.L2).exactScanSelectivity(threshold).build()) {
                index.addAll(DATA, 0);
                final double recall = TestVectors.recall(index, exact, QUERIES, 10, filter);
                assertTrue(recall >= 0.95,
                        "selectivity " + selectivity + ", threshold " + threshold + ": recall@10 " + recall);
                final SearchResults out = new SearchResults(10);
                for (final float[] q : QUERIES) {
                    index.search(q, 10, filter, out);
                    assertEquals(Math.min(10, allowed.cardinality()), out.count());
                    for (int i = 0; i < out.count(); i++) {
                        assertTrue(allowed.get(out.ordinal(i)), "ordinal " + out.ordinal(i) + " is filtered out");
                    }
                }
            }
        }
    }

    @Test
    void int8TraversalReScoresExactly() {
        try (HnswVectorIndex index = builder(Metric.L2).quantization(Quantization.INT8).build()) {
            index.addAll(DATA, 0);
            final double recall = TestVectors.recall(index, TestVectors.flat(DATA, Metric.L2), QUERIES, 10,
                    OrdinalFilter.ALL);
            assertTrue(recall >= 0.95, "int8 recall@10 " + recall);
            final SearchResults out = new SearchResults(1);
            index.search(DATA[9], 1, OrdinalFilter.ALL, out);
            assertEquals(9, out.ordinal(0));
            assertEquals(0f, out.score(0), 1e-6f, "scores come from the float vectors");
        }
    }

    @Test
    void concurrentInsertsAndSearches() throws Exception {
        try (HnswVectorIndex index = builder(Metric.L2).initialCapacity(16).build()) {
            index.addAll(java.util.Arrays.copyOf(DATA, 200), 0);
            final AtomicInteger inserted = new AtomicInteger(200);
            final AtomicReference<Throwable> failure = new AtomicReference<>();
            final CountDownLatch done = new CountDownLatch(1);
            final AtomicInteger searches = new AtomicInteger();
            final Runnable reader = () -> {
                final SearchResults out = new SearchResults(10);
                int q = 0;
                try {
                    while (done.getCount() > 0) {
                        final int before = inserted.get();
                        index.search(QUERIES[q++ % QUERIES.length], 10, OrdinalFilter.ALL, out);
                        if (out.count() != 10) {
                            throw new AssertionError("expected 10 results, got " + out.count());
                        }
                        for (int i = 0; i < out.count(); i++) {
                            final int ord = out.ordinal(i);
                            // The index may show inserts newer than 'before', never ordinals not yet written.
                            if (ord < 0 || ord >= DATA.length) {
                                throw new AssertionError("bad ordinal " + ord + " with " + before + " inserted");
                            }
                        }
                        searches.incrementAndGet();
                    }
                } catch (final Throwable t) {
                    failure.compareAndSet(null, t);
                }
            };
            final Thread r1 = Thread.ofPlatform().start(reader);
            final Thread r2 = Thread.ofPlatform().start(reader);
            for (int i = 200; i < DATA.length; i++) {
                index.add(i, DATA[i]); // grows from capacity 256 several times while readers run
                inserted.set(i + 1);
            }
            done.countDown();
            r1.join();
            r2.join();
            if (failure.get() != null) {
                throw new AssertionError("reader failed", failure.get());
            }
            assertTrue(searches.get() > 0, "readers ran");
            assertEquals(DATA.length, index.size());
            final double recall = TestVectors.recall(index, TestVectors.flat(DATA, Metric.L2), QUERIES, 10,
                    OrdinalFilter.ALL);
            assertTrue(recall >= 0.95, "recall@10 after concurrent build " + recall);
        }
    }

    @Test
    void badInputNamesTheProblem() {
        try (HnswVectorIndex index = builder(Metric.L2).build()) {
            assertMessage(() -> index.add(0, new float[DIM + 1]), "vector for ordinal 0 has 25 dimensions, the index has 24");
            final float[] nan = new float[DIM];
            nan[4] = Float.NaN;
            assertMessage(() -> index.add(1, nan), "vector for ordinal 1 component 4 is NaN");
            assertMessage(() -> index.add(-1, new float[DIM]), "ordinal must be >= 0, got -1");
            assertMessage(() -> index.addAll(new float[][] {new float[DIM], nan}, 5),
                    "vector for ordinal 6 component 4 is NaN");
            assertEquals(0, index.size(), "a bad batch inserts nothing");
            final SearchResults out = new SearchResults(10);
            assertMessage(() -> index.search(new float[3], 10, OrdinalFilter.ALL, out), "query has 3 dimensions");
            final float[] inf = new float[DIM];
            inf[0] = Float.POSITIVE_INFINITY;
            assertMessage(() -> index.search(inf, 10, OrdinalFilter.ALL, out), "query component 0 is Infinity");
            assertMessage(() -> index.search(new float[DIM], 0, OrdinalFilter.ALL, out), "k must be positive, got 0");
            assertMessage(() -> index.search(new float[DIM], 5, -2, OrdinalFilter.ALL, out), "beam must be positive");
            assertMessage(() -> index.searchBeam(0), "searchBeam must be 1..100000, got 0");
        }
    }

    @Test
    void builderNamesTheBadSetting() {
        assertMessage(() -> HnswVectorIndex.builder(0, Metric.L2).build(), "dimension must be 1..65536, got 0");
        assertMessage(() -> HnswVectorIndex.builder(8, null).build(), "metric must be set");
        assertMessage(() -> builder(Metric.L2).maxDegree(1).build(), "maxDegree must be 2..256, got 1");
        assertMessage(() -> builder(Metric.L2).maxDegree(32).buildBeam(16).build(),
                "buildBeam must be >= maxDegree (32), got 16");
        assertMessage(() -> builder(Metric.L2).searchBeam(0).build(), "searchBeam must be 1..100000, got 0");
        assertMessage(() -> builder(Metric.L2).alpha(0.5f).build(), "alpha must be 1.0..2.0, got 0.5");
        assertMessage(() -> builder(Metric.L2).initialCapacity(0).build(), "initialCapacity must be 1..2^30, got 0");
        assertMessage(() -> builder(Metric.L2).buildThreads(0).build(), "buildThreads must be 1..1024, got 0");
        assertMessage(() -> builder(Metric.L2).quantization(null).build(), "quantization must be NONE or INT8");
        assertMessage(() -> builder(Metric.L2).exactScanSelectivity(2).build(),
                "exactScanSelectivity must be <= 1 (negative: cost model), got 2.0");
    }

    static void assertMessage(final org.junit.jupiter.api.function.Executable call, final String expected) {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(expected), "message '" + e.getMessage() + "' should contain '" + expected + "'");
    }

    @org.junit.jupiter.api.Test
    void residencyAdviceIsSurfacedNotThrown() {
        final HnswVectorIndex index = HnswVectorIndex.builder(8, Metric.L2).initialCapacity(256).build();
        final float[][] vectors = new float[200][8];
        for (int i = 0; i < vectors.length; i++) {
            vectors[i][i % 8] = 1f + i;
        }
        index.addAll(vectors, 0);
        final java.util.List<io.funnel.ffi.NativeResult> results = index.adviseResident(true);
        org.junit.jupiter.api.Assertions.assertEquals(3, results.size(), "hugepage, willneed, mlock");
        for (final io.funnel.ffi.NativeResult r : results) {
            // On Linux each call either worked or was refused with a named errno; never an exception.
            org.junit.jupiter.api.Assertions.assertNotEquals(null, r.status());
            if (r.status() == io.funnel.ffi.NativeResult.Status.REFUSED) {
                org.junit.jupiter.api.Assertions.assertTrue(r.errno() > 0 && !r.message().isEmpty(), r.toString());
            }
        }
        final SearchResults out = new SearchResults(5);
        org.junit.jupiter.api.Assertions.assertEquals(5, index.search(vectors[10], 5, OrdinalFilter.ALL, out),
                "still searchable after the advice");
        org.junit.jupiter.api.Assertions.assertEquals(10, out.ordinal(0));
        index.close();
    }
}
