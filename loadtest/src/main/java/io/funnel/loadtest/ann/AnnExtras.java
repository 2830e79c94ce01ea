package io.funnel.loadtest.ann;

import io.funnel.ann.HnswVectorIndex;
import io.funnel.ann.Metric;
import io.funnel.ann.OrdinalFilter;
import io.funnel.ann.SearchResults;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.BitSet;
import java.util.SplittableRandom;

/** Funnel-only measurements of the ANN benchmark: filtered search and memory-mapped reload. */
final class AnnExtras {
    private AnnExtras() {}

    /**
     * Recall@k and per-query latency (p50, p99) at the default beam for random filters of each selectivity, against
     * the unfiltered latency of the same index. Returns a JSON member ending in a comma and a newline.
     */
    static String filtered(final HnswVectorIndex index, final AnnDataset data, final Metric metric, final int k,
            final double[] selectivities, final int minQueries) {
        if (selectivities == null || selectivities.length == 0) {
            return "";
        }
        final int beam = index.searchBeam();
        final StringBuilder sb = new StringBuilder();
        sb.append("  \"funnel_filtered\": {\"beam\": ").append(beam)
                .append(", \"latency\": \"filtered and unfiltered queries alternate, so both see the same machine load;"
                        + " filters are OrdinalFilter.of(BitSet)\"")
                .append(", \"unfiltered_recall\": ")
                .append(AnnBenchCommand.fmt(recall(index, data.queries(), data.truth(), k, OrdinalFilter.ALL)));
        for (final double p : selectivities) {
            final BitSet allowed = new BitSet(data.base().length);
            final SplittableRandom random = new SplittableRandom(Double.doubleToLongBits(p));
            for (int i = 0; i < data.base().length; i++) {
                if (random.nextDouble() < p) {
                    allowed.set(i);
                }
            }
            final OrdinalFilter filter = OrdinalFilter.of(allowed); // enumerable, as a bitset from the feature cache would be
            final int[][] truth = AnnDataset.exactTopK(data.base(), data.queries(), k, metric, allowed::get);
            final double recall = recall(index, data.queries(), truth, k, filter);
            final long[][] lat = latencies(index, data.queries(), k, filter, minQueries);
            final long[] plain = lat[0];
            final long[] filtered = lat[1];
            final double p99 = percentile(filtered, 0.99);
            final double base99 = percentile(plain, 0.99);
            AnnBenchCommand.log("funnel filter %.3f (%d pass): recall@10 %.4f, p50 %.1f us, p99 %.1f us; unfiltered"
                    + " p50 %.1f us, p99 %.1f us; p99 ratio %.2f", p, allowed.cardinality(), recall,
                    percentile(filtered, 0.5) / 1e3, p99 / 1e3, percentile(plain, 0.5) / 1e3, base99 / 1e3,
                    p99 / base99);
            sb.append(", \"").append(p).append("\": {\"accepted\": ").append(allowed.cardinality())
                    .append(", \"recall\": ").append(AnnBenchCommand.fmt(recall))
                    .append(", \"p50_us\": ").append(AnnBenchCommand.fmt(percentile(filtered, 0.5) / 1e3))
                    .append(", \"p99_us\": ").append(AnnBenchCommand.fmt(p99 / 1e3))
                    .append(", \"unfiltered_p50_us\": ").append(AnnBenchCommand.fmt(percentile(plain, 0.5) / 1e3))
                    .append(", \"unfiltered_p99_us\": ").append(AnnBenchCommand.fmt(base99 / 1e3))
                    .append(", \"p99_vs_unfiltered\": ").append(AnnBenchCommand.fmt(p99 / base99)).append('}');
        }
        return sb.append("},\n").toString();
    }

    /** Saves the index, times {@link HnswVectorIndex#load}, and checks the loaded index answers the same. */
    static String persistence(final HnswVectorIndex index, final AnnDataset data, final int k) throws IOException {
        final Path file = Files.createTempFile("funnel-bench-", ".hnsw");
        try {
            long t0 = System.nanoTime();
            index.save(file);
            final double saveSeconds = (System.nanoTime() - t0) / 1e9;
            t0 = System.nanoTime();
            final double loadSeconds;
            final boolean same;
            try (HnswVectorIndex loaded = HnswVectorIndex.load(file)) {
                loadSeconds = (System.nanoTime() - t0) / 1e9;
                same = sameAnswers(index, loaded, data.queries(), k);
            }
            AnnBenchCommand.log("funnel save %.3f s, mmap load %.3f s, %,d bytes, same answers after load: %s",
                    saveSeconds, loadSeconds, Files.size(file), same);
            return "  \"funnel_persistence\": {\"save_seconds\": " + AnnBenchCommand.fmt(saveSeconds)
                    + ", \"load_seconds\": " + AnnBenchCommand.fmt(loadSeconds) + ", \"file_bytes\": "
                    + Files.size(file) + ", \"same_answers_after_load\": " + same + "},\n";
        } finally {
            Files.deleteIfExists(file);
        }
    }

    private static boolean sameAnswers(
            final HnswVectorIndex a, final HnswVectorIndex b, final float[][] queries, final int k) {
        final SearchResults ra = new SearchResults(k);
        final SearchResults rb = new SearchResults(k);
        for (final float[] q : queries) {
            a.search(q, k, OrdinalFilter.ALL, ra);
            b.search(q, k, OrdinalFilter.ALL, rb);
            if (ra.count() != rb.count()) {
                return false;
            }
            for (int i = 0; i < ra.count(); i++) {
                if (ra.ordinal(i) != rb.ordinal(i)) {
                    return false;
                }
            }
        }
        return true;
    }

    private static double recall(final HnswVectorIndex index, final float[][] queries, final int[][] truth,
            final int k, final OrdinalFilter filter) {
        final SearchResults out = new SearchResults(k);
        long hits = 0;
        long expected = 0;
        for (int q = 0; q < queries.length; q++) {
            index.search(queries[q], k, filter, out);
            final int[] t = truth[q];
            final int n = Math.min(k, t.length);
            expected += n;
            for (int i = 0; i < out.count(); i++) {
                for (int j = 0; j < n; j++) {
                    if (out.ordinal(i) == t[j]) {
                        hits++;
                        break;
                    }
                }
            }
        }
        return expected == 0 ? 1 : hits / (double) expected;
    }

    /** Per-query latencies in ns, sorted: [0] unfiltered, [1] filtered, measured alternately. */
    private static long[][] latencies(final HnswVectorIndex index, final float[][] queries, final int k,
            final OrdinalFilter filter, final int minQueries) {
        final SearchResults out = new SearchResults(k);
        final int n = Math.max(minQueries, queries.length);
        for (int i = 0; i < n; i++) { // warm-up
            index.search(queries[i % queries.length], k, OrdinalFilter.ALL, out);
            index.search(queries[i % queries.length], k, filter, out);
        }
        final long[] plain = new long[n];
        final long[] filtered = new long[n];
        for (int i = 0; i < n; i++) {
            final float[] q = queries[i % queries.length];
            long t0 = System.nanoTime();
            index.search(q, k, OrdinalFilter.ALL, out);
            plain[i] = System.nanoTime() - t0;
            t0 = System.nanoTime();
            index.search(q, k, filter, out);
            filtered[i] = System.nanoTime() - t0;
        }
        Arrays.sort(plain);
        Arrays.sort(filtered);
        return new long[][] {plain, filtered};
    }

    private static double percentile(final long[] sorted, final double p) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)];
    }
}
