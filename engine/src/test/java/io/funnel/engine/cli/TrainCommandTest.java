package io.funnel.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class TrainCommandTest {
    @Test
    void oneStandardErrorRulePrefersTheSmallestModelCloseToTheBest() {
        // MovieLens 100K, 2026-11-23: 4/0 is best by 0.012, well inside its standard error, so 1/0 is chosen.
        final double[] mean = {0.2252, 0.2373, 0.1689, 0.1748};
        assertEquals(0, TrainCommand.oneStandardErrorChoice(mean, new double[] {0.0342, 0.0339, 0.0274, 0.0256}));
        // A clear winner stays chosen.
        assertEquals(1, TrainCommand.oneStandardErrorChoice(mean, new double[] {0.001, 0.001, 0.001, 0.001}));
        // Within the error of the best but not the smallest: the first that qualifies.
        assertEquals(1, TrainCommand.oneStandardErrorChoice(new double[] {0.10, 0.19, 0.18, 0.20},
                new double[] {0.02, 0.02, 0.02, 0.02}));
        assertEquals(3, TrainCommand.oneStandardErrorChoice(new double[] {0.10, 0.11, 0.12, 0.20},
                new double[] {0.0, 0.0, 0.0, 0.0}));
    }
}
