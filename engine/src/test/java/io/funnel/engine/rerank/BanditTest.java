package io.funnel.engine.rerank;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Simulations: the bandits must find the best arm from feedback alone. */
class BanditTest {
    @Test
    void thompsonSamplingConvergesOnTheBestArm() {
        final double[] ctr = {0.02, 0.05, 0.12, 0.04, 0.08};
        final BanditStats stats = new BanditStats(ctr.length, 1f, 1f);
        final SplittableRandom env = new SplittableRandom(1);
        final SplittableRandom policy = new SplittableRandom(2);
        final int[] pulls = new int[ctr.length];
        final int rounds = 5_000;
        for (int t = 0; t < rounds; t++) {
            int arm = 0;
            double best = -1;
            for (int a = 0; a < ctr.length; a++) {
                final double sample = stats.sampleCtr(a, policy);
                if (sample > best) {
                    best = sample;
                    arm = a;
                }
            }
            pulls[arm]++;
            stats.record(arm, false); // the impression
            if (env.nextDouble() < ctr[arm]) {
                stats.record(arm, true);
            }
        }
        assertTrue(pulls[2] > rounds * 0.6, "best arm pulled " + pulls[2] + " of " + rounds + " times");
        int best = 0;
        for (int a = 1; a < ctr.length; a++) {
            if (stats.meanCtr(a) > stats.meanCtr(best)) {
                best = a;
            }
        }
        assertEquals(2, best, "the posterior means rank the best arm first");
    }

    @Test
    void betaSamplesHaveTheRightMean() {
        final BanditStats stats = new BanditStats(1, 1f, 1f);
        for (int i = 0; i < 30; i++) {
            stats.record(0, false);
        }
        for (int i = 0; i < 10; i++) {
            stats.record(0, true);
        }
        // Beta(1 + 10, 1 + 20): mean 11/32.
        final SplittableRandom r = new SplittableRandom(3);
        double sum = 0;
        for (int i = 0; i < 20_000; i++) {
            sum += stats.sampleCtr(0, r);
        }
        assertEquals(11.0 / 32, sum / 20_000, 0.005);
        assertThrows(IllegalArgumentException.class, () -> new BanditStats(1, 0.5f, 1f));
    }

    @Test
    void linUcbLearnsWhichContextClicks() {
        final LinUcbModel model = new LinUcbModel(3);
        final SplittableRandom r = new SplittableRandom(4);
        // Reward probability 0.8 when x[1] is on, 0.1 when x[2] is on.
        for (int t = 0; t < 3_000; t++) {
            final boolean first = r.nextBoolean();
            final float[] x = {1f, first ? 1f : 0f, first ? 0f : 1f};
            model.update(x, r.nextDouble() < (first ? 0.8 : 0.1) ? 1f : 0f);
        }
        assertEquals(0.8, model.ucb(new float[] {1f, 1f, 0f}, 0f), 0.05);
        assertEquals(0.1, model.ucb(new float[] {1f, 0f, 1f}, 0f), 0.05);
        // The bonus shrinks with evidence: a well-explored context gets less than a rarely seen one.
        final float explored = model.ucb(new float[] {1f, 1f, 0f}, 1f) - model.ucb(new float[] {1f, 1f, 0f}, 0f);
        final float rare = model.ucb(new float[] {1f, 1f, 1f}, 1f) - model.ucb(new float[] {1f, 1f, 1f}, 0f);
        assertTrue(rare > explored, "bonus rare " + rare + " vs explored " + explored);
        assertEquals(3_000, model.updates());
    }
}
