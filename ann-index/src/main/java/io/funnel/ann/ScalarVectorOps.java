package io.funnel.ann;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Plain-Java kernels, unrolled by four with independent accumulators so the JIT can overlap the multiplies. Used
 * when the Vector API is unavailable or {@code -Dfunnel.vectorOps=scalar} is set. Stateless and thread-safe.
 */
final class ScalarVectorOps implements VectorOps {
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfByte BYTE = ValueLayout.JAVA_BYTE;

    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public float dotProduct(final float[] a, final int aOffset, final float[] b, final int bOffset, final int length) {
        float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f;
        int i = 0;
        for (final int bound = length & ~3; i < bound; i += 4) {
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
    public float squaredDistance(
            final float[] a, final int aOffset, final float[] b, final int bOffset, final int length) {
        float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f;
        int i = 0;
        for (final int bound = length & ~3; i < bound; i += 4) {
            final float d0 = a[aOffset + i] - b[bOffset + i];
            final float d1 = a[aOffset + i + 1] - b[bOffset + i + 1];
            final float d2 = a[aOffset + i + 2] - b[bOffset + i + 2];
            final float d3 = a[aOffset + i + 3] - b[bOffset + i + 3];
            s0 += d0 * d0;
            s1 += d1 * d1;
            s2 += d2 * d2;
            s3 += d3 * d3;
        }
        for (; i < length; i++) {
            final float d = a[aOffset + i] - b[bOffset + i];
            s0 += d * d;
        }
        return (s0 + s1) + (s2 + s3);
    }

    @Override
    public float dotProduct(final float[] q, final MemorySegment data, final long byteOffset, final int length) {
        float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f;
        int i = 0;
        long off = byteOffset;
        for (final int bound = length & ~3; i < bound; i += 4, off += 16) {
            s0 += q[i] * data.get(FLOAT, off);
            s1 += q[i + 1] * data.get(FLOAT, off + 4);
            s2 += q[i + 2] * data.get(FLOAT, off + 8);
            s3 += q[i + 3] * data.get(FLOAT, off + 12);
        }
        for (; i < length; i++, off += 4) {
            s0 += q[i] * data.get(FLOAT, off);
        }
        return (s0 + s1) + (s2 + s3);
    }

    @Override
    public float squaredDistance(final float[] q, final MemorySegment data, final long byteOffset, final int length) {
        float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f;
        int i = 0;
        long off = byteOffset;
        for (final int bound = length & ~3; i < bound; i += 4, off += 16) {
            final float d0 = q[i] - data.get(FLOAT, off);
            final float d1 = q[i + 1] - data.get(FLOAT, off + 4);
            final float d2 = q[i + 2] - data.get(FLOAT, off + 8);
            final float d3 = q[i + 3] - data.get(FLOAT, off + 12);
            s0 += d0 * d0;
            s1 += d1 * d1;
            s2 += d2 * d2;
            s3 += d3 * d3;
        }
        for (; i < length; i++, off += 4) {
            final float d = q[i] - data.get(FLOAT, off);
            s0 += d * d;
        }
        return (s0 + s1) + (s2 + s3);
    }

    @Override
    public int dotProductInt8(final byte[] q, final MemorySegment data, final long byteOffset, final int length) {
        int s0 = 0, s1 = 0;
        int i = 0;
        for (final int bound = length & ~1; i < bound; i += 2) {
            s0 += q[i] * data.get(BYTE, byteOffset + i);
            s1 += q[i + 1] * data.get(BYTE, byteOffset + i + 1);
        }
        if (i < length) {
            s0 += q[i] * data.get(BYTE, byteOffset + i);
        }
        return s0 + s1;
    }

    @Override
    public int squaredDistanceInt8(
            final byte[] q, final MemorySegment data, final long byteOffset, final int length) {
        int s0 = 0, s1 = 0;
        int i = 0;
        for (final int bound = length & ~1; i < bound; i += 2) {
            final int d0 = q[i] - data.get(BYTE, byteOffset + i);
            final int d1 = q[i + 1] - data.get(BYTE, byteOffset + i + 1);
            s0 += d0 * d0;
            s1 += d1 * d1;
        }
        if (i < length) {
            final int d = q[i] - data.get(BYTE, byteOffset + i);
            s0 += d * d;
        }
        return s0 + s1;
    }
}
