package io.funnel.engine.rerank;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.funnel.engine.pipeline.CandidateSet;
import io.funnel.engine.pipeline.Candidates;
import io.funnel.engine.retrieval.ItemAttributes;
import io.funnel.features.ItemColumns;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Contracts of the selectors and their constraints, on constructed and random candidate pools. */
class SelectorsTest {
    /** A pool: candidate i is item ordinal i with the given relevance, embedding, category and creator. */
    record Pool(CandidateSet set, float[] relevance, ItemColumns items, ItemAttributes attributes) {}

    static Pool pool(final float[] relevance, final float[][] vectors, final int[] category, final int[] creator) {
        final int n = relevance.length;
        final Candidates c = new Candidates(n);
        for (int i = 0; i < n; i++) {
            c.add(i, 1f);
        }
        final CandidateSet set = new CandidateSet(1, n);
        set.merge(0, c);
        final int dim = vectors[0].length;
        final ItemColumns items = new ItemColumns(dim, n);
        items.reset(n);
        for (int i = 0; i < n; i++) {
            set.score(i, relevance[i]);
            System.arraycopy(vectors[i], 0, items.embeddings(), i * dim, dim);
            items.category()[i] = category[i];
        }
        final boolean[] stock = new boolean[n];
        Arrays.fill(stock, true);
        return new Pool(set, relevance.clone(), items, new ItemAttributes(category.clone(), stock, creator.clone(),
                new long[n]));
    }

    /** Six candidates: three near-duplicates in category 0 with the best scores, then three distinct ones. */
    static Pool nearDuplicates() {
        return pool(new float[] {1.0f, 0.98f, 0.96f, 0.9f, 0.85f, 0.8f},
                new float[][] {{1, 0}, {1, 0.01f}, {1, 0.02f}, {0, 1}, {-1, 0}, {0, -1}},
                new int[] {0, 0, 0, 1, 2, 3}, new int[] {-1, -1, -1, -1, -1, -1});
    }

    static Pool random(final int n, final int categories, final int creators, final long seed) {
        final SplittableRandom r = new SplittableRandom(seed);
        final float[] rel = new float[n];
        final float[][] vec = new float[n][8];
        final int[] cat = new int[n];
        final int[] cre = new int[n];
        for (int i = 0; i < n; i++) {
            rel[i] = (float) r.nextDouble();
            cat[i] = r.nextInt(categories);
            cre[i] = r.nextInt(creators);
            for (int d = 0; d < 8; d++) {
                vec[i][d] = (float) r.nextGaussian() + (d == cat[i] % 8 ? 3f : 0f);
            }
        }
        return pool(rel, vec, cat, cre);
    }

    static Selector selector(final String name) {
        return switch (name) {
            case "greedy" -> new GreedySelector();
            case "mmr" -> new MmrSelector(0.7, 0.3);
            default -> new DppSelector(3.0, 0.3);
        };
    }

    static int select(final Selector selector, final Pool p, final int count, final SlotConstraints c,
            final int[] out) {
        return selector.select(p.set(), p.relevance(), p.items(), p.attributes(), count, c, out);
    }

    @Test
    void greedyIsRelevanceOrder() {
        final int[] out = new int[6];
        assertEquals(4, select(new GreedySelector(), nearDuplicates(), 4, SlotConstraints.none(), out));
        assertArrayEquals(new int[] {0, 1, 2, 3}, Arrays.copyOf(out, 4));
    }

    @ParameterizedTest
    @ValueSource(strings = {"mmr", "dpp"})
    void diversityPushesNearDuplicatesDown(final String name) {
        final int[] out = new int[6];
        select(selector(name), nearDuplicates(), 4, SlotConstraints.none(), out);
        assertEquals(0, out[0], "the most relevant item still leads");
        for (int i = 1; i < 3; i++) {
            assertTrue(out[i] >= 3, name + " slot " + i + " took near-duplicate " + out[i]);
        }
    }

    /** Mean pairwise (1 - cosine) of the chosen items' embeddings. */
    static double diversity(final Pool p, final int[] out, final int k) {
        final int dim = p.items().dimension();
        final float[] e = p.items().embeddings();
        double sum = 0;
        int pairs = 0;
        for (int a = 0; a < k; a++) {
            for (int b = a + 1; b < k; b++) {
                final int i = out[a];
                final int j = out[b];
                final double cos = Vectors.dot(e, i * dim, e, j * dim, dim) * Vectors.inverseNorm(e, i * dim, dim)
                        * Vectors.inverseNorm(e, j * dim, dim);
                sum += 1 - cos;
                pairs++;
            }
        }
        return sum / pairs;
    }

    /** A constructed case: the most relevant quarter of the pool is one tight cluster (category 0). */
    static Pool clustered(final int n, final long seed) {
        final Pool p = random(n, 8, 50, seed);
        final SplittableRandom r = new SplittableRandom(seed + 100);
        final int dim = p.items().dimension();
        for (int i = 0; i < n / 4; i++) {
            p.relevance()[i] = 2f + (float) r.nextDouble();
            p.set().score(i, p.relevance()[i]);
            p.items().category()[i] = 0;
            p.attributes().categories()[i] = 0;
            for (int d = 0; d < dim; d++) {
                p.items().embeddings()[i * dim + d] = (d == 0 ? 5f : 0f) + 0.1f * (float) r.nextGaussian();
            }
        }
        return p;
    }

    @Test
    void dppPicksAMoreDiverseSetThanGreedy() {
        for (long seed = 1; seed <= 5; seed++) {
            final Pool p = clustered(200, seed);
            final int[] greedy = new int[20];
            final int[] dpp = new int[20];
            assertEquals(20, select(new GreedySelector(), p, 20, SlotConstraints.none(), greedy));
            assertEquals(20, select(new DppSelector(3.0, 0.3), p, 20, SlotConstraints.none(), dpp));
            assertTrue(diversity(p, dpp, 20) > diversity(p, greedy, 20) * 1.5, "seed " + seed + ": dpp "
                    + diversity(p, dpp, 20) + " vs greedy " + diversity(p, greedy, 20));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"greedy", "mmr", "dpp"})
    void windowRuleAndQuotasHold(final String name) {
        for (long seed = 1; seed <= 20; seed++) {
            final Pool p = random(120, 5, 12, seed);
            final SlotConstraints c = new SlotConstraints(4, 2, 5, 2);
            final int[] out = new int[20];
            final int k = select(selector(name), p, 20, c, out);
            assertTrue(k >= 10, "enough items can be placed: " + k);
            final int[] perCategory = new int[5];
            final int[] perCreator = new int[12];
            for (int i = 0; i < k; i++) {
                final int ordinal = p.set().ordinal(out[i]);
                perCategory[p.attributes().category(ordinal)]++;
                perCreator[p.attributes().creator(ordinal)]++;
                int inWindow = 0;
                for (int j = Math.max(0, i - 3); j <= i; j++) {
                    if (p.attributes().category(p.set().ordinal(out[j])) == p.attributes().category(ordinal)) {
                        inWindow++;
                    }
                }
                assertTrue(inWindow <= 2, name + " seed " + seed + ": window rule broken at slot " + i);
            }
            assertTrue(Arrays.stream(perCategory).max().orElse(0) <= 5, name + ": category quota");
            assertTrue(Arrays.stream(perCreator).max().orElse(0) <= 2, name + ": creator quota");
            assertEquals(k, Arrays.stream(out, 0, k).distinct().count(), "no item twice");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"greedy", "mmr", "dpp"})
    void blockedCandidatesAreNeverPlaced(final String name) {
        final Pool p = nearDuplicates();
        p.relevance()[0] = Float.NEGATIVE_INFINITY;
        final int[] out = new int[6];
        final int k = select(selector(name), p, 6, SlotConstraints.none(), out);
        assertEquals(5, k);
        for (int i = 0; i < k; i++) {
            assertTrue(out[i] != 0);
        }
    }
}
