package io.funnel.model.internal;

/** Scalar dot product, four independent accumulators so that the adds can overlap. */
final class ScalarDotKernel implements DotKernel {
    static final ScalarDotKernel INSTANCE = new ScalarDotKernel();

    private ScalarDotKernel() {}

    @Override
    public float dot(final float[] a, final int aOffset, final float[] b, final int bOffset, final int length) {
        float s0 = 0;
        float s1 = 0;
        float s2 = 0;
        float s3 = 0;
        int i = 0;
        for (; i + 3 < length; i += 4) {
            s0 += a[aOffset + i] * b[bOffset + i];
            s1 += a[aOffset + i + 1] * b[bOffset + i + 1];
            s2 += a[aOffset + i + 2] * b[bOffset + i + 2];
            s3 += a[aOffset + i + 3] * b[bOffset + i + 3];
        }
        for (; i < length; i++) {
            s0 += a[aOffset + i] * b[bOffset + i];
        }
        return (s0 + s1) + (s2 + s3);
    }

    @Override
    public String name() {
        return "scalar";
    }
}
