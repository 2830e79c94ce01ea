package io.funnel.model.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.funnel.model.TestModels;
import org.junit.jupiter.api.Test;

/**
 * Reproducibility for a seed. Training was meant to be bitwise reproducible (seeded Java initialisation and batch
 * order, intra = inter = 1, oneDNN off), but on this machine about half of the runs differ in the third decimal
 * even in a fresh JVM whose first session is the trainer's: some kernel still reduces in a varying order. What
 * holds, and is checked here, is that two fits with one seed agree closely; the bitwise property is an open issue
 * (see model-runtime/README.md).
 */
class RankerTrainerDeterminismTest {
    @Test
    void sameSeedNearlySameModel() {
        final TestModels.Data d = TestModels.data(1500, 5);
        final RankerTrainer trainer = new RankerTrainer().seed(3).epochs(2).hidden(8).crossLayers(1);
        final TestModels.Data probe = TestModels.data(20, 99);
        try (TrainedRanker a = trainer.fit(TestModels.FEATURES, d.x(), d.click(), d.like(), d.rows());
                TrainedRanker b = trainer.fit(TestModels.FEATURES, d.x(), d.click(), d.like(), d.rows())) {
            assertArrayEquals(a.predict(probe.x(), 20), b.predict(probe.x(), 20), 0.02f,
                    "one seed, predictions within 0.02");
            a.metrics().forEach((name, value) -> assertEquals(value, b.metrics().get(name), 0.02, name));
        }
    }

}
