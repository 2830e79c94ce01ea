package io.funnel.loadtest.ann;

import io.funnel.ann.Metric;
import io.funnel.ann.VectorFiles;
import io.funnel.ann.VectorOps;
import java.io.IOException;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/** Base vectors, queries and the exact top-k of every query. */
record AnnDataset(String name, float[][] base, float[][] queries, int[][] truth) {

    static AnnDataset fromFiles(final Path base, final Path query, final Path truth) throws IOException {
        final float[][] b = VectorFiles.readFvecs(base);
        final float[][] q = VectorFiles.readFvecs(query);
        final int[][] t = VectorFiles.readIvecs(truth);
        if (t.length < q.length) {
            throw new IllegalArgumentException("--truth has " + t.length + " rows for " + q.length + " queries");
        }
        if (b[0].length != q[0].length) {
            throw new IllegalArgumentException(
                    "--query has dimension " + q[0].length + ", --base has " + b[0].length);
        }
        return new AnnDataset(base.getFileName().toString(), b, q, t);
    }

    /**
     * Clustered Gaussian data: {@code n} base vectors and {@code queries} queries of {@code dim} components around
     * {@code sqrt(n)} random centres (closer to real embeddings than uniform noise), with exact ground truth.
     */
    static AnnDataset synthetic(final int n, final int dim, final int queries, final Metric metric, final long seed) {
        final SplittableRandom random = new SplittableRandom(seed);
        final int clusters = Math.max(8, (int) Math.sqrt(n));
        final float[][] centres = new float[clusters][dim];
        for (final float[] c : centres) {
            for (int i = 0; i < dim; i++) {
                c[i] = (float) gaussian(random);
            }
        }
        final float[][] base = new float[n][];
        for (int i = 0; i < n; i++) {
            base[i] = around(centres[random.nextInt(clusters)], random);
        }
        final float[][] q = new float[queries][];
        for (int i = 0; i < queries; i++) {
            q[i] = around(centres[random.nextInt(clusters)], random);
        }
        return new AnnDataset("synthetic-" + n + "x" + dim, base, q, exactTopK(base, q, 100, metric));
    }

    private static float[] around(final float[] centre, final SplittableRandom random) {
        final float[] v = new float[centre.length];
        for (int i = 0; i < v.length; i++) {
            v[i] = centre[i] + (float) (0.5 * gaussian(random));
        }
        return v;
    }

    private static double gaussian(final SplittableRandom random) {
        // Box-Muller: SplittableRandom has no nextGaussian on every JDK level we target.
        final double u = 1.0 - random.nextDouble();
        final double v = random.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }

    /** Exact top-{@code k} ordinals of every query (brute force with the SIMD kernels, in parallel). */
    static int[][] exactTopK(final float[][] base, final float[][] queries, final int k, final Metric metric) {
        return exactTopK(base, queries, k, metric, i -> true);
    }

    /** Exact top-{@code k} among the base vectors {@code accept} passes. */
    static int[][] exactTopK(
            final float[][] base,
            final float[][] queries,
            final int k,
            final Metric metric,
            final java.util.function.IntPredicate accept) {
        final VectorOps ops = VectorOps.provider();
        final int[][] truth = new int[queries.length][];
        final float[][] b = metric == Metric.COSINE ? normalised(base) : base;
        IntStream.range(0, queries.length).parallel().forEach(qi -> {
            final float[] q = metric == Metric.COSINE ? normalised(new float[][] {queries[qi]})[0] : queries[qi];
            final int kk = Math.min(k, b.length);
            final float[] bestScore = new float[kk];
            final int[] best = new int[kk];
            java.util.Arrays.fill(bestScore, Float.NEGATIVE_INFINITY);
            for (int i = 0; i < b.length; i++) {
                if (!accept.test(i)) {
                    continue;
                }
                final float s = metric == Metric.L2
                        ? -ops.squaredDistance(q, 0, b[i], 0, q.length)
                        : ops.dotProduct(q, 0, b[i], 0, q.length);
                if (s > bestScore[kk - 1]) {
                    int j = kk - 1;
                    while (j > 0 && bestScore[j - 1] < s) {
                        bestScore[j] = bestScore[j - 1];
                        best[j] = best[j - 1];
                        j--;
                    }
                    bestScore[j] = s;
                    best[j] = i;
                }
            }
            int found = 0;
            while (found < kk && bestScore[found] != Float.NEGATIVE_INFINITY) {
                found++;
            }
            truth[qi] = java.util.Arrays.copyOf(best, found);
        });
        return truth;
    }

    private static float[][] normalised(final float[][] vectors) {
        final float[][] out = new float[vectors.length][];
        for (int i = 0; i < vectors.length; i++) {
            final float[] v = vectors[i].clone();
            double norm = 0;
            for (final float x : v) {
                norm += (double) x * x;
            }
            final float inv = norm > 0 ? (float) (1 / Math.sqrt(norm)) : 0f;
            for (int j = 0; j < v.length; j++) {
                v[j] *= inv;
            }
            out[i] = v;
        }
        return out;
    }
}
