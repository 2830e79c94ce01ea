package io.funnel.ann;

/**
 * Maps floats to signed bytes with one global centre and step: {@code code = round((x - centre) / step)} clipped to
 * [-127, 127]. For L2 the centre is the middle of the data range (distances do not depend on it); for inner product
 * and cosine it is 0, so that code dot products stay proportional to float ones. Immutable and thread-safe.
 */
final class ScalarQuantizer {
    final float centre;
    final float step;
    private final float invStep;

    ScalarQuantizer(final float centre, final float step) {
        if (!(step > 0f) || !Float.isFinite(step) || !Float.isFinite(centre)) {
            throw new IllegalArgumentException("quantizer step must be positive and finite, got " + step
                    + " (centre " + centre + ")");
        }
        this.centre = centre;
        this.step = step;
        this.invStep = 1f / step;
    }

    /** Fits the range of {@code count} vectors of {@code vectors} (rows of {@code dimension} floats). */
    static ScalarQuantizer fit(final float[][] vectors, final int count, final Metric metric) {
        float min = Float.POSITIVE_INFINITY;
        float max = Float.NEGATIVE_INFINITY;
        // A strided sample is enough to find the range of well-behaved data and keeps this O(1) in n.
        final int stride = Math.max(1, count / 4096);
        for (int i = 0; i < count; i += stride) {
            for (final float x : vectors[i]) {
                min = Math.min(min, x);
                max = Math.max(max, x);
            }
        }
        return of(min, max, metric);
    }

    static ScalarQuantizer of(final float min, final float max, final Metric metric) {
        if (metric == Metric.L2) {
            final float centre = (min + max) * 0.5f;
            final float step = Math.max((max - min) / 254f, 1e-12f);
            return new ScalarQuantizer(centre, step);
        }
        final float abs = Math.max(Math.abs(min), Math.abs(max));
        return new ScalarQuantizer(0f, Math.max(abs / 127f, 1e-12f));
    }

    void encode(final float[] v, final byte[] out) {
        for (int i = 0; i < v.length; i++) {
            final int c = Math.round((v[i] - centre) * invStep);
            out[i] = (byte) Math.max(-127, Math.min(127, c));
        }
    }
}
