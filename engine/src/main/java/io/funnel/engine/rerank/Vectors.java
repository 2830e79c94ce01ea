package io.funnel.engine.rerank;

/** Small dense-vector helpers over row-major float arrays, shared by the diversity selectors. */
final class Vectors {
    private Vectors() {}

    static float dot(final float[] a, final int aOffset, final float[] b, final int bOffset, final int dim) {
        float sum = 0f;
        for (int d = 0; d < dim; d++) {
            sum += a[aOffset + d] * b[bOffset + d];
        }
        return sum;
    }

    /**
     * The range of the shown candidates' relevance as {@code {min, max - min}} written into {@code out}; blocked
     * candidates ({@code NEGATIVE_INFINITY}) are ignored and a flat list gets a range of 1, so that
     * {@code (r - min) / range} normalises to [0, 1].
     */
    static void relevanceRange(final float[] relevance, final int n, final float[] out) {
        float min = Float.POSITIVE_INFINITY;
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            if (relevance[i] != Float.NEGATIVE_INFINITY) {
                min = Math.min(min, relevance[i]);
                max = Math.max(max, relevance[i]);
            }
        }
        out[0] = min;
        out[1] = max > min ? max - min : 1f;
    }

    /** 1 / |row|, or 0 for a zero row. */
    static float inverseNorm(final float[] a, final int offset, final int dim) {
        final float sq = dot(a, offset, a, offset, dim);
        return sq > 0 ? (float) (1.0 / Math.sqrt(sq)) : 0f;
    }
}
