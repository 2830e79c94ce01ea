package io.funnel.ann;

import io.funnel.ffi.NativeKernels;
import java.lang.foreign.MemorySegment;

/**
 * The C kernels of the native module (AVX2/FMA, called through FFM) behind {@link VectorOps}. Chosen only when
 * forced with {@code -Dfunnel.vectorOps=native}: on the machines measured so far the Vector API is at least as fast
 * (docs/benchmarks/native.md), and each call here pays a downcall. Kernels the library lacks (int8 squared L2) use
 * the scalar code.
 *
 * <p>Threading: stateless; safe for concurrent use.
 */
final class NativeVectorOps implements VectorOps {
    private static final long FLOAT_BYTES = Float.BYTES;
    private final ScalarVectorOps fallback = new ScalarVectorOps();

    NativeVectorOps() {
        if (!NativeKernels.isAvailable()) {
            throw new IllegalStateException(VectorOps.PROPERTY + "=native but the C kernels are not available: "
                    + NativeKernels.unavailableReason());
        }
    }

    @Override
    public String name() {
        return "native";
    }

    @Override
    public float dotProduct(final float[] a, final int aOffset, final float[] b, final int bOffset, final int length) {
        return NativeKernels.dot(MemorySegment.ofArray(a).asSlice(aOffset * FLOAT_BYTES),
                MemorySegment.ofArray(b).asSlice(bOffset * FLOAT_BYTES), length);
    }

    @Override
    public float squaredDistance(final float[] a, final int aOffset, final float[] b, final int bOffset,
            final int length) {
        return NativeKernels.squaredL2(MemorySegment.ofArray(a).asSlice(aOffset * FLOAT_BYTES),
                MemorySegment.ofArray(b).asSlice(bOffset * FLOAT_BYTES), length);
    }

    @Override
    public float dotProduct(final float[] q, final MemorySegment data, final long byteOffset, final int length) {
        return NativeKernels.dot(MemorySegment.ofArray(q), data.asSlice(byteOffset), length);
    }

    @Override
    public float squaredDistance(final float[] q, final MemorySegment data, final long byteOffset, final int length) {
        return NativeKernels.squaredL2(MemorySegment.ofArray(q), data.asSlice(byteOffset), length);
    }

    @Override
    public int dotProductInt8(final byte[] q, final MemorySegment data, final long byteOffset, final int length) {
        return NativeKernels.dotInt8(MemorySegment.ofArray(q), data.asSlice(byteOffset), length);
    }

    @Override
    public int squaredDistanceInt8(final byte[] q, final MemorySegment data, final long byteOffset,
            final int length) {
        return fallback.squaredDistanceInt8(q, data, byteOffset, length);
    }
}
