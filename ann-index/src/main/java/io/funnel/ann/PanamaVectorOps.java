package io.funnel.ann;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API kernels at the preferred width of this CPU (512 bits with AVX-512, 256 with AVX2), four accumulators
 * for float kernels, a scalar loop for the tail so odd lengths need no masks (masked loads are slow on AVX2).
 * Loaded reflectively by {@link VectorOpsProvider} so that nothing else links against the incubator module.
 * Stateless and thread-safe.
 */
final class PanamaVectorOps implements VectorOps {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int FL = F.length();
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    private static final int IL = I.length();
    /** Bytes with as many lanes as {@link #I}, widened lane by lane. */
    private static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(IL * 8));
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfByte BYTE = ValueLayout.JAVA_BYTE;
    /** Rotations by FL/2, FL/4, ..., 1 lanes: the fixed folding order of {@link #sum}. */
    @SuppressWarnings("unchecked")
    private static final VectorShuffle<Float>[] FOLDS = folds();
    /**
     * {@code -Dfunnel.vectorOps.fixedOrder=true} (read once, when this class loads): sum lanes in one fixed order
     * ({@link #sum}) instead of {@code reduceLanes(ADD)}. {@code funnel train} sets it, so that a training run is
     * bitwise reproducible; it costs ~2 ns per cache-resident distance, so serving leaves it off.
     */
    static final boolean FIXED_ORDER = Boolean.getBoolean("funnel.vectorOps.fixedOrder");

    @SuppressWarnings("unchecked")
    private static VectorShuffle<Float>[] folds() {
        final int steps = Integer.numberOfTrailingZeros(FL);
        final VectorShuffle<Float>[] out = new VectorShuffle[steps];
        for (int k = 0, half = FL / 2; k < steps; k++, half /= 2) {
            out[k] = VectorShuffle.iota(F, half, 1, true);
        }
        return out;
    }

    /**
     * The sum of {@code v}'s lanes, folded in one fixed order. {@code reduceLanes(ADD)} leaves the order open, and
     * interpreted and JIT-compiled code use different ones, so the same inputs could give results that differ in the
     * last place depending on JIT timing. With {@link #FIXED_ORDER} the lanes are folded by log2(lanes) rotations and
     * adds, the same in every mode, so scores are bitwise reproducible.
     */
    static float sum(FloatVector v) {
        if (!FIXED_ORDER) {
            return v.reduceLanes(VectorOperators.ADD);
        }
        for (final VectorShuffle<Float> fold : FOLDS) {
            v = v.add(v.rearrange(fold));
        }
        return v.lane(0);
    }

    @Override
    public String name() {
        return "panama-" + F.vectorBitSize();
    }

    @Override
    public float dotProduct(final float[] a, final int aOffset, final float[] b, final int bOffset, final int length) {
        int i = 0;
        float sum = 0f;
        if (length >= FL) {
            FloatVector acc0 = FloatVector.zero(F);
            FloatVector acc1 = FloatVector.zero(F);
            FloatVector acc2 = FloatVector.zero(F);
            FloatVector acc3 = FloatVector.zero(F);
            for (final int bound = length - 4 * FL; i <= bound; i += 4 * FL) {
                acc0 = FloatVector.fromArray(F, a, aOffset + i).fma(FloatVector.fromArray(F, b, bOffset + i), acc0);
                acc1 = FloatVector.fromArray(F, a, aOffset + i + FL)
                        .fma(FloatVector.fromArray(F, b, bOffset + i + FL), acc1);
                acc2 = FloatVector.fromArray(F, a, aOffset + i + 2 * FL)
                        .fma(FloatVector.fromArray(F, b, bOffset + i + 2 * FL), acc2);
                acc3 = FloatVector.fromArray(F, a, aOffset + i + 3 * FL)
                        .fma(FloatVector.fromArray(F, b, bOffset + i + 3 * FL), acc3);
            }
            for (final int bound = length - FL; i <= bound; i += FL) {
                acc0 = FloatVector.fromArray(F, a, aOffset + i).fma(FloatVector.fromArray(F, b, bOffset + i), acc0);
            }
            sum = sum(acc0.add(acc1).add(acc2.add(acc3)));
        }
        for (; i < length; i++) {
            sum += a[aOffset + i] * b[bOffset + i];
        }
        return sum;
    }

    @Override
    public float squaredDistance(
            final float[] a, final int aOffset, final float[] b, final int bOffset, final int length) {
        int i = 0;
        float sum = 0f;
        if (length >= FL) {
            FloatVector acc0 = FloatVector.zero(F);
            FloatVector acc1 = FloatVector.zero(F);
            FloatVector acc2 = FloatVector.zero(F);
            FloatVector acc3 = FloatVector.zero(F);
            for (final int bound = length - 4 * FL; i <= bound; i += 4 * FL) {
                final FloatVector d0 =
                        FloatVector.fromArray(F, a, aOffset + i).sub(FloatVector.fromArray(F, b, bOffset + i));
                final FloatVector d1 = FloatVector.fromArray(F, a, aOffset + i + FL)
                        .sub(FloatVector.fromArray(F, b, bOffset + i + FL));
                final FloatVector d2 = FloatVector.fromArray(F, a, aOffset + i + 2 * FL)
                        .sub(FloatVector.fromArray(F, b, bOffset + i + 2 * FL));
                final FloatVector d3 = FloatVector.fromArray(F, a, aOffset + i + 3 * FL)
                        .sub(FloatVector.fromArray(F, b, bOffset + i + 3 * FL));
                acc0 = d0.fma(d0, acc0);
                acc1 = d1.fma(d1, acc1);
                acc2 = d2.fma(d2, acc2);
                acc3 = d3.fma(d3, acc3);
            }
            for (final int bound = length - FL; i <= bound; i += FL) {
                final FloatVector d =
                        FloatVector.fromArray(F, a, aOffset + i).sub(FloatVector.fromArray(F, b, bOffset + i));
                acc0 = d.fma(d, acc0);
            }
            sum = sum(acc0.add(acc1).add(acc2.add(acc3)));
        }
        for (; i < length; i++) {
            final float d = a[aOffset + i] - b[bOffset + i];
            sum += d * d;
        }
        return sum;
    }

    @Override
    public float dotProduct(final float[] q, final MemorySegment data, final long byteOffset, final int length) {
        int i = 0;
        float sum = 0f;
        if (length >= FL) {
            FloatVector acc0 = FloatVector.zero(F);
            FloatVector acc1 = FloatVector.zero(F);
            FloatVector acc2 = FloatVector.zero(F);
            FloatVector acc3 = FloatVector.zero(F);
            for (final int bound = length - 4 * FL; i <= bound; i += 4 * FL) {
                final long off = byteOffset + 4L * i;
                acc0 = FloatVector.fromArray(F, q, i).fma(load(data, off), acc0);
                acc1 = FloatVector.fromArray(F, q, i + FL).fma(load(data, off + 4L * FL), acc1);
                acc2 = FloatVector.fromArray(F, q, i + 2 * FL).fma(load(data, off + 8L * FL), acc2);
                acc3 = FloatVector.fromArray(F, q, i + 3 * FL).fma(load(data, off + 12L * FL), acc3);
            }
            for (final int bound = length - FL; i <= bound; i += FL) {
                acc0 = FloatVector.fromArray(F, q, i).fma(load(data, byteOffset + 4L * i), acc0);
            }
            sum = sum(acc0.add(acc1).add(acc2.add(acc3)));
        }
        for (; i < length; i++) {
            sum += q[i] * data.get(FLOAT, byteOffset + 4L * i);
        }
        return sum;
    }

    @Override
    public float squaredDistance(final float[] q, final MemorySegment data, final long byteOffset, final int length) {
        int i = 0;
        float sum = 0f;
        if (length >= FL) {
            FloatVector acc0 = FloatVector.zero(F);
            FloatVector acc1 = FloatVector.zero(F);
            FloatVector acc2 = FloatVector.zero(F);
            FloatVector acc3 = FloatVector.zero(F);
            for (final int bound = length - 4 * FL; i <= bound; i += 4 * FL) {
                final long off = byteOffset + 4L * i;
                final FloatVector d0 = FloatVector.fromArray(F, q, i).sub(load(data, off));
                final FloatVector d1 = FloatVector.fromArray(F, q, i + FL).sub(load(data, off + 4L * FL));
                final FloatVector d2 = FloatVector.fromArray(F, q, i + 2 * FL).sub(load(data, off + 8L * FL));
                final FloatVector d3 = FloatVector.fromArray(F, q, i + 3 * FL).sub(load(data, off + 12L * FL));
                acc0 = d0.fma(d0, acc0);
                acc1 = d1.fma(d1, acc1);
                acc2 = d2.fma(d2, acc2);
                acc3 = d3.fma(d3, acc3);
            }
            for (final int bound = length - FL; i <= bound; i += FL) {
                final FloatVector d = FloatVector.fromArray(F, q, i).sub(load(data, byteOffset + 4L * i));
                acc0 = d.fma(d, acc0);
            }
            sum = sum(acc0.add(acc1).add(acc2.add(acc3)));
        }
        for (; i < length; i++) {
            final float d = q[i] - data.get(FLOAT, byteOffset + 4L * i);
            sum += d * d;
        }
        return sum;
    }

    @Override
    public int dotProductInt8(final byte[] q, final MemorySegment data, final long byteOffset, final int length) {
        int i = 0;
        int sum = 0;
        if (length >= IL) {
            IntVector acc0 = IntVector.zero(I);
            IntVector acc1 = IntVector.zero(I);
            for (final int bound = length - 2 * IL; i <= bound; i += 2 * IL) {
                acc0 = acc0.add(widen(ByteVector.fromArray(B, q, i))
                        .mul(widen(ByteVector.fromMemorySegment(B, data, byteOffset + i, ORDER))));
                acc1 = acc1.add(widen(ByteVector.fromArray(B, q, i + IL))
                        .mul(widen(ByteVector.fromMemorySegment(B, data, byteOffset + i + IL, ORDER))));
            }
            for (final int bound = length - IL; i <= bound; i += IL) {
                acc0 = acc0.add(widen(ByteVector.fromArray(B, q, i))
                        .mul(widen(ByteVector.fromMemorySegment(B, data, byteOffset + i, ORDER))));
            }
            sum = acc0.add(acc1).reduceLanes(VectorOperators.ADD); // integers: exact in any order
        }
        for (; i < length; i++) {
            sum += q[i] * data.get(BYTE, byteOffset + i);
        }
        return sum;
    }

    @Override
    public int squaredDistanceInt8(
            final byte[] q, final MemorySegment data, final long byteOffset, final int length) {
        int i = 0;
        int sum = 0;
        if (length >= IL) {
            IntVector acc0 = IntVector.zero(I);
            IntVector acc1 = IntVector.zero(I);
            for (final int bound = length - 2 * IL; i <= bound; i += 2 * IL) {
                final IntVector d0 = widen(ByteVector.fromArray(B, q, i))
                        .sub(widen(ByteVector.fromMemorySegment(B, data, byteOffset + i, ORDER)));
                final IntVector d1 = widen(ByteVector.fromArray(B, q, i + IL))
                        .sub(widen(ByteVector.fromMemorySegment(B, data, byteOffset + i + IL, ORDER)));
                acc0 = acc0.add(d0.mul(d0));
                acc1 = acc1.add(d1.mul(d1));
            }
            for (final int bound = length - IL; i <= bound; i += IL) {
                final IntVector d = widen(ByteVector.fromArray(B, q, i))
                        .sub(widen(ByteVector.fromMemorySegment(B, data, byteOffset + i, ORDER)));
                acc0 = acc0.add(d.mul(d));
            }
            sum = acc0.add(acc1).reduceLanes(VectorOperators.ADD); // integers: exact in any order
        }
        for (; i < length; i++) {
            final int d = q[i] - data.get(BYTE, byteOffset + i);
            sum += d * d;
        }
        return sum;
    }

    private static FloatVector load(final MemorySegment data, final long byteOffset) {
        return FloatVector.fromMemorySegment(F, data, byteOffset, ORDER);
    }

    private static IntVector widen(final ByteVector v) {
        return (IntVector) v.convertShape(VectorOperators.B2I, I, 0);
    }
}
