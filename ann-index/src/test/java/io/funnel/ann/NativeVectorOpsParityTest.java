package io.funnel.ann;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.funnel.ffi.NativeKernels;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The C kernels, as the third {@link VectorOps} provider ({@code -Dfunnel.vectorOps=native}), agree with the scalar
 * ones within the same tolerance as the Vector API: 1e-5 relative to the sum of absolute terms; int8 exactly.
 * Skipped where the native library was not built (no gcc) or cannot load.
 */
class NativeVectorOpsParityTest {
    private static final double RELATIVE_TOLERANCE = 1e-5;
    private static final VectorOps SCALAR = new ScalarVectorOps();
    private static VectorOps nativeOps;

    @BeforeAll
    static void load() {
        Assumptions.assumeTrue(NativeKernels.isAvailable(), "native kernels not available here ("
                + NativeKernels.unavailableReason() + "); skipping the native provider's parity");
        nativeOps = VectorOpsProvider.choose("native");
        assertTrue(nativeOps instanceof NativeVectorOps);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 7, 17, 64, 128, 768, 1021})
    void floatKernelsAgree(final int length) {
        final SplittableRandom random = new SplittableRandom(length);
        final float[] a = new float[length + 5];
        final float[] b = new float[length + 9];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) random.nextGaussian();
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = (float) random.nextGaussian();
        }
        double absDot = 0;
        double absL2 = 0;
        for (int i = 0; i < length; i++) {
            absDot += Math.abs((double) a[i + 2] * b[i + 7]);
            final double d = a[i + 2] - b[i + 7];
            absL2 += d * d;
        }
        final double dotTol = RELATIVE_TOLERANCE * absDot + 1e-6;
        final double l2Tol = RELATIVE_TOLERANCE * absL2 + 1e-6;
        final float dot = SCALAR.dotProduct(a, 2, b, 7, length);
        final float l2 = SCALAR.squaredDistance(a, 2, b, 7, length);
        assertEquals(dot, nativeOps.dotProduct(a, 2, b, 7, length), dotTol, "dot, length " + length);
        assertEquals(l2, nativeOps.squaredDistance(a, 2, b, 7, length), l2Tol, "l2, length " + length);
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment seg = arena.allocate(4L * length + 12);
            MemorySegment.copy(b, 7, seg, ValueLayout.JAVA_FLOAT_UNALIGNED, 12, length);
            final float[] q = java.util.Arrays.copyOfRange(a, 2, 2 + length);
            assertEquals(dot, nativeOps.dotProduct(q, seg, 12, length), dotTol, "off-heap dot, length " + length);
            assertEquals(l2, nativeOps.squaredDistance(q, seg, 12, length), l2Tol, "off-heap l2, length " + length);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 8, 33, 128, 1021})
    void int8KernelsAreExact(final int length) {
        final SplittableRandom random = new SplittableRandom(7L * length);
        final byte[] q = new byte[length];
        final byte[] d = new byte[length];
        for (int i = 0; i < length; i++) {
            q[i] = (byte) (random.nextInt(256) - 128);
            d[i] = (byte) (random.nextInt(256) - 128);
        }
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment seg = arena.allocate(length + 3);
            MemorySegment.copy(d, 0, seg, ValueLayout.JAVA_BYTE, 3, length);
            assertEquals(SCALAR.dotProductInt8(q, seg, 3, length), nativeOps.dotProductInt8(q, seg, 3, length));
            assertEquals(SCALAR.squaredDistanceInt8(q, seg, 3, length),
                    nativeOps.squaredDistanceInt8(q, seg, 3, length));
        }
    }
}
