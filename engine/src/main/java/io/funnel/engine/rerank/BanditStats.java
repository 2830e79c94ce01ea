package io.funnel.engine.rerank;

import java.util.SplittableRandom;

/**
 * Per-item feedback counts for exploration: impressions ({@code view} events) and successes (click, like,
 * purchase), and the Beta posterior of each item's click-through rate built from them.
 *
 * <p>Threading: one writer (the event applier) calls {@link #record}; any thread reads. Reads of a count are
 * atomic (a float) and may be slightly stale.
 */
public final class BanditStats {
    private final float[] impressions;
    private final float[] successes;
    private final float priorAlpha;
    private final float priorBeta;

    /** @param priorAlpha prior successes, {@code priorBeta} prior failures (both at least 1) */
    public BanditStats(final int items, final float priorAlpha, final float priorBeta) {
        if (priorAlpha < 1 || priorBeta < 1) {
            throw new IllegalArgumentException("Beta prior parameters must be >= 1, got " + priorAlpha + ", "
                    + priorBeta);
        }
        this.impressions = new float[items];
        this.successes = new float[items];
        this.priorAlpha = priorAlpha;
        this.priorBeta = priorBeta;
    }

    /** Records an impression ({@code success = false}) or a success of {@code ordinal}. Writer thread only. */
    public void record(final int ordinal, final boolean success) {
        if (success) {
            successes[ordinal] += 1f;
        } else {
            impressions[ordinal] += 1f;
        }
    }

    public float impressions(final int ordinal) {
        return impressions[ordinal];
    }

    public float successes(final int ordinal) {
        return successes[ordinal];
    }

    /** Posterior mean of the click-through rate. */
    public float meanCtr(final int ordinal) {
        final float a = priorAlpha + successes[ordinal];
        final float b = priorBeta + Math.max(0f, impressions[ordinal] - successes[ordinal]);
        return a / (a + b);
    }

    /** Draws a click-through rate from the item's Beta posterior (Thompson sampling). */
    public double sampleCtr(final int ordinal, final SplittableRandom random) {
        final double a = priorAlpha + successes[ordinal];
        final double b = priorBeta + Math.max(0f, impressions[ordinal] - successes[ordinal]);
        final double x = gamma(a, random);
        final double y = gamma(b, random);
        return x / (x + y);
    }

    /** Marsaglia and Tsang's method; valid for shape >= 1, which the prior guarantees. */
    static double gamma(final double shape, final SplittableRandom random) {
        final double d = shape - 1.0 / 3.0;
        final double c = 1.0 / Math.sqrt(9.0 * d);
        while (true) {
            double x;
            double v;
            do {
                x = random.nextGaussian();
                v = 1.0 + c * x;
            } while (v <= 0);
            v = v * v * v;
            final double u = random.nextDouble();
            if (u < 1 - 0.0331 * x * x * x * x || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) {
                return d * v;
            }
        }
    }
}
