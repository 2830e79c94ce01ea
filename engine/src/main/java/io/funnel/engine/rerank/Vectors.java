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

    /** 1 / |row|, or 0 for a zero row. */
    static float inverseNorm(final float[] a, final int offset, final int dim) {
        final float sq = dot(a, offset, a, offset, dim);
        return sq > 0 ? (float) (1.0 / Math.sqrt(sq)) : 0f;
    }
}
