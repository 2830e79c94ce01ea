package io.funnel.engine.offline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.funnel.engine.config.FunnelConfig;
import io.funnel.engine.data.SyntheticGenerator;
import io.funnel.engine.pipeline.Pipeline;
import io.funnel.engine.pipeline.RankFeatures;
import io.funnel.model.PreRankHead;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The ranker's training rows: per-user grouping, held-out splits, the per-user NDCG and the pre-rank head fit. */
class RankingExamplesTest {
    private static RankingExamples examples;

    @BeforeAll
    static void collect() {
        final FunnelConfig config = FunnelConfig.defaults();
        config.model.trainRanker = false;
        examples = new ServingStateBuilder(config, line -> { }).examples(new SyntheticGenerator().items(3_000)
                .users(2_000).events(60_000).seed(5).endMs(1_763_856_000_000L).generate());
    }

    @Test
    void usersSplitIntoDisjointParts() {
        assertTrue(examples.enough() && examples.users() > 20, examples.users() + " users");
        final RankingExamples even = examples.usersWhere(u -> u % 2 == 0);
        final RankingExamples odd = examples.usersWhere(u -> u % 2 == 1);
        assertEquals(examples.rows(), even.rows() + odd.rows());
        assertEquals(examples.positives(), even.positives() + odd.positives());
        assertEquals(examples.users(), even.users() + odd.users());
        assertEquals(examples.x()[0], even.x()[0], "user 0's first row comes first");
    }

    @Test
    void ndcgIsOneForTheLabelsAndLowerForTheirReverse() {
        final float[] perfect = examples.click().clone();
        final float[] reversed = new float[examples.rows()];
        for (int r = 0; r < reversed.length; r++) {
            reversed[r] = -examples.click()[r];
        }
        assertEquals(1.0, examples.ndcgAt(perfect, 10), 1e-12);
        assertTrue(examples.ndcgAt(reversed, 10) < 0.5, "reversed: " + examples.ndcgAt(reversed, 10));
    }

    @Test
    void preRankHeadIsFittedOnThePreRankFeaturesAndBeatsARandomOrder() {
        final PreRankHead head = examples.fitPreRankHead();
        assertEquals(Pipeline.PRE_RANK_FEATURES, head.featureNames());
        final float[] scores = new float[examples.rows()];
        final float[] noise = new float[examples.rows()];
        final java.util.SplittableRandom random = new java.util.SplittableRandom(3);
        for (int r = 0; r < scores.length; r++) {
            float s = head.bias();
            for (final String name : head.featureNames()) {
                s += head.weight(name) * examples.x()[r * RankFeatures.WIDTH + RankFeatures.NAMES.indexOf(name)];
            }
            scores[r] = s;
            noise[r] = (float) random.nextDouble();
        }
        final double fitted = examples.ndcgAt(scores, 10);
        final double randomOrder = examples.ndcgAt(noise, 10);
        assertTrue(fitted > randomOrder * 1.5, "head " + fitted + " vs random " + randomOrder);
    }
}
