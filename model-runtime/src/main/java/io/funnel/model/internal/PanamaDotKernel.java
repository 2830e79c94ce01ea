package io.funnel.model.internal;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/** Vector API dot product: preferred species, two FMA accumulators, scalar tail. */
final class PanamaDotKernel implements DotKernel {
    static final PanamaDotKernel INSTANCE = new PanamaDotKernel();
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    /**
     * {@code -Dfunnel.vectorOps.fixedOrder=true}: sum lanes in one fixed order (bitwise reproducible whatever the JIT
     * did; {@code funnel train} sets it) instead of {@code reduceLanes(ADD)}, whose order is left open.
     */
    private static final boolean FIXED_ORDER = Boolean.getBoolean("funnel.vectorOps.fixedOrder");
    @SuppressWarnings("unchecked")
    private static final VectorShuffle<Float>[] FOLDS = new VectorShuffle[Integer.numberOfTrailingZeros(
            SPECIES.length())];

    static {
        for (int k = 0, half = SPECIES.length() / 2; k < FOLDS.length; k++, half /= 2) {
            FOLDS[k] = VectorShuffle.iota(SPECIES, half, 1, true);
        }
    }

    /** The lanes' sum folded by rotations of half, a quarter, ... of the lanes: the same order in every mode. */
    private static float fixedOrderSum(FloatVector v) {
        for (final VectorShuffle<Float> fold : FOLDS) {
            v = v.add(v.rearrange(fold));
        }
        return v.lane(0);
    }

    private PanamaDotKernel() {}

    @Override
    public float dot(final float[] a, final int aOffset, final float[] b, final int bOffset, final int length) {
        final int lanes = SPECIES.length();
        FloatVector acc0 = FloatVector.zero(SPECIES);
        FloatVector acc1 = FloatVector.zero(SPECIES);
        int i = 0;
        for (; i + 2 * lanes <= length; i += 2 * lanes) {
            acc0 = FloatVector.fromArray(SPECIES, a, aOffset + i)
                    .fma(FloatVector.fromArray(SPECIES, b, bOffset + i), acc0);
            acc1 = FloatVector.fromArray(SPECIES, a, aOffset + i + lanes)
                    .fma(FloatVector.fromArray(SPECIES, b, bOffset + i + lanes), acc1);
        }
        for (; i + lanes <= length; i += lanes) {
            acc0 = FloatVector.fromArray(SPECIES, a, aOffset + i)
                    .fma(FloatVector.fromArray(SPECIES, b, bOffset + i), acc0);
        }
        float sum = FIXED_ORDER ? fixedOrderSum(acc0.add(acc1)) : acc0.add(acc1).reduceLanes(VectorOperators.ADD);
        for (; i < length; i++) {
            sum += a[aOffset + i] * b[bOffset + i];
        }
        return sum;
    }

    @Override
    public String name() {
        return "simd";
    }
}
