package io.funnel.model.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TfMfTrainerTest {
    /** Users and items in 4 clusters; users click items of their own cluster 90% of the time. */
    @Test
    void embeddingsRankHeldOutItemsOfTheUsersClusterFirst() {
        final int users = 200;
        final int items = 120;
        final int count = 8000;
        final SplittableRandom random = new SplittableRandom(2);
        final int[] u = new int[count];
        final int[] v = new int[count];
        for (int e = 0; e < count; e++) {
            u[e] = random.nextInt(users);
            v[e] = random.nextDouble() < 0.9 ? (u[e] % 4) + 4 * random.nextInt(items / 4) : random.nextInt(items);
        }
        final TfMfTrainer trainer = new TfMfTrainer().dimension(8).epochs(4).seed(5);
        final BprTrainer.Embeddings emb = trainer.fit(u, v, count, users, items);
        // AUC over (user, same-cluster item) vs (user, other-cluster item) pairs.
        final float[] scores = new float[users * items];
        final float[] labels = new float[users * items];
        for (int a = 0; a < users; a++) {
            for (int i = 0; i < items; i++) {
                float dot = 0;
                for (int k = 0; k < 8; k++) {
                    dot += emb.users()[a * 8 + k] * emb.items()[i * 8 + k];
                }
                scores[a * items + i] = dot;
                labels[a * items + i] = (a % 4) == (i % 4) ? 1 : 0;
            }
        }
        final double auc = Auc.of(scores, labels, scores.length);
        assertTrue(auc > 0.85, "cluster AUC " + auc);
        // Bitwise reproducible: the session runs every op in the calling thread (inter-op -1, intra-op 1).
        final float[] again = trainer.fit(u, v, count, users, items).items();
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < again.length; i++) {
            diff += Math.abs(again[i] - emb.items()[i]);
            norm += Math.abs(emb.items()[i]);
        }
        System.out.println("TfMfTrainerTest: cluster AUC " + auc + ", same-seed relative L1 difference " + diff / norm);
        assertEquals(0.0, diff / norm, "same seed, same vectors: relative L1 difference");
    }
}
