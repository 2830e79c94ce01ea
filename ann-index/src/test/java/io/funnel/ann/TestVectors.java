package io.funnel.ann;

import java.util.SplittableRandom;

/** Small clustered data sets and exact answers for the index tests. */
final class TestVectors {
    private TestVectors() {}

    /**
     * Clustered vectors with a low intrinsic dimension, like real embeddings: points around 20 centres in an 8-d
     * latent space, mapped to {@code dim} components by a fixed random linear map, plus a little isotropic noise.
     */
    static float[][] clustered(final int n, final int dim, final long seed) {
        final SplittableRandom shape = new SplittableRandom(12345); // same space for base and queries
        final int latent = 8;
        final int clusters = 20;
        final float[][] map = new float[latent][dim];
        for (final float[] row : map) {
            for (int i = 0; i < dim; i++) {
                row[i] = (float) (shape.nextDouble() * 2 - 1);
            }
        }
        final float[][] centres = new float[clusters][latent];
        for (final float[] c : centres) {
            for (int i = 0; i < latent; i++) {
                c[i] = (float) (shape.nextDouble() * 4 - 2);
            }
        }
        final SplittableRandom random = new SplittableRandom(seed);
        final float[][] out = new float[n][dim];
        final float[] z = new float[latent];
        for (int j = 0; j < n; j++) {
            final float[] c = centres[random.nextInt(clusters)];
            for (int l = 0; l < latent; l++) {
                z[l] = c[l] + (float) (random.nextDouble() - 0.5);
            }
            for (int i = 0; i < dim; i++) {
                float x = (float) (0.05 * (random.nextDouble() - 0.5));
                for (int l = 0; l < latent; l++) {
                    x += z[l] * map[l][i];
                }
                out[j][i] = x;
            }
        }
        return out;
    }

    /** Average overlap of the approximate and exact top-k over all queries. */
    static double recall(
            final VectorIndex approx, final VectorIndex exact, final float[][] queries, final int k,
            final OrdinalFilter filter) {
        final SearchResults a = new SearchResults(k);
        final SearchResults e = new SearchResults(k);
        long hits = 0;
        long total = 0;
        for (final float[] q : queries) {
            approx.search(q, k, filter, a);
            exact.search(q, k, filter, e);
            total += e.count();
            for (int i = 0; i < a.count(); i++) {
                for (int j = 0; j < e.count(); j++) {
                    if (a.ordinal(i) == e.ordinal(j)) {
                        hits++;
                        break;
                    }
                }
            }
        }
        return total == 0 ? 1.0 : hits / (double) total;
    }

    static FlatVectorIndex flat(final float[][] data, final Metric metric) {
        final FlatVectorIndex flat = new FlatVectorIndex(data[0].length, metric, data.length);
        for (int i = 0; i < data.length; i++) {
            flat.add(i, data[i]);
        }
        return flat;
    }
}
