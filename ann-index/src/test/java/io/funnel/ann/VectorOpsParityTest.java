package io.funnel.ann;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * The SIMD kernels agree with the scalar ones. Tolerance: float results may differ by summation order only, so the
 * difference must stay within {@code 1e-5} relative to the sum of absolute products (about 2^-17, loose enough for
 * any order of a 1021-term float sum, tight enough to catch a dropped or doubled lane). int8 results are exact.
 */
class VectorOpsParityTest {
    private static final double RELATIVE_TOLERANCE = 1e-5;
    private static final VectorOps SCALAR = new ScalarVectorOps();
    private static final VectorOps PANAMA = VectorOpsProvider.choose("panama");

    @ParameterizedTest
    @ValueSource(ints = {1, 3, 7, 15, 16, 17, 31, 64, 100, 128, 1021, 1024, 4099})
    void floatKernelsAgree(final int length) {
        final SplittableRandom random = new SplittableRandom(length);
        final float[] a = randomFloats(random, length + 5);
        final float[] b = randomFloats(random, length + 9);
        double absDot = 0;
        double absL2 = 0;
        for (int i = 0; i < length; i++) {
            absDot += Math.abs((double) a[i + 2] * b[i + 7]);
            final double d = a[i + 2] - b[i + 7];
            absL2 += d * d;
        }
        final float dotScalar = SCALAR.dotProduct(a, 2, b, 7, length);
        final float dotPanama = PANAMA.dotProduct(a, 2, b, 7, length);
        assertEquals(dotScalar, dotPanama, RELATIVE_TOLERANCE * absDot + 1e-6, "dot, length " + length);
        final float l2Scalar = SCALAR.squaredDistance(a, 2, b, 7, length);
        final float l2Panama = PANAMA.squaredDistance(a, 2, b, 7, length);
        assertEquals(l2Scalar, l2Panama, RELATIVE_TOLERANCE * absL2 + 1e-6, "l2, length " + length);

        // The same vectors read from an off-heap segment at an unaligned offset.
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment seg = arena.allocate(4L * length + 12);
            MemorySegment.copy(b, 7, seg, ValueLayout.JAVA_FLOAT_UNALIGNED, 12, length);
            final float[] q = java.util.Arrays.copyOfRange(a, 2, 2 + length);
            assertEquals(dotScalar, SCALAR.dotProduct(q, seg, 12, length), RELATIVE_TOLERANCE * absDot + 1e-6);
            assertEquals(dotScalar, PANAMA.dotProduct(q, seg, 12, length), RELATIVE_TOLERANCE * absDot + 1e-6);
            assertEquals(l2Scalar, SCALAR.squaredDistance(q, seg, 12, length), RELATIVE_TOLERANCE * absL2 + 1e-6);
            assertEquals(l2Scalar, PANAMA.squaredDistance(q, seg, 12, length), RELATIVE_TOLERANCE * absL2 + 1e-6);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 5, 8, 15, 16, 17, 33, 128, 1021, 4099})
    void int8KernelsAreExact(final int length) {
        final SplittableRandom random = new SplittableRandom(31L * length);
        final byte[] q = new byte[length];
        final byte[] d = new byte[length];
        long dot = 0;
        long l2 = 0;
        for (int i = 0; i < length; i++) {
            q[i] = (byte) (random.nextInt(255) - 127);
            d[i] = (byte) (random.nextInt(255) - 127);
            dot += q[i] * d[i];
            l2 += (q[i] - d[i]) * (q[i] - d[i]);
        }
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment seg = arena.allocate(length + 3);
            MemorySegment.copy(d, 0, seg, ValueLayout.JAVA_BYTE, 3, length);
            assertEquals(dot, SCALAR.dotProductInt8(q, seg, 3, length));
            assertEquals(dot, PANAMA.dotProductInt8(q, seg, 3, length));
            assertEquals(l2, SCALAR.squaredDistanceInt8(q, seg, 3, length));
            assertEquals(l2, PANAMA.squaredDistanceInt8(q, seg, 3, length));
        }
    }

    @Test
    void cosineOfParallelVectorsIsOne() {
        final float[] a = randomFloats(new SplittableRandom(1), 1021);
        final float[] b = a.clone();
        for (int i = 0; i < b.length; i++) {
            b[i] *= 3f;
        }
        assertEquals(1f, SCALAR.cosine(a, b), 1e-5);
        assertEquals(1f, PANAMA.cosine(a, b), 1e-5);
        assertEquals(0f, PANAMA.cosine(a, new float[a.length]));
    }

    @Test
    void providerHonoursTheProperty() {
        final String expected = System.getProperty(VectorOps.PROPERTY, "auto");
        final String name = VectorOps.provider().name();
        if (expected.equals("scalar")) {
            assertEquals("scalar", name);
        } else {
            assertTrue(name.startsWith("panama-"), "auto/panama with the vector module should pick Panama: " + name);
        }
        assertEquals("scalar", VectorOpsProvider.choose("SCALAR").name());
        final IllegalStateException e = assertThrows(IllegalStateException.class, () -> VectorOpsProvider.choose("gpu"));
        assertTrue(e.getMessage().contains("'gpu'"), e.getMessage());
    }

    private static float[] randomFloats(final SplittableRandom random, final int n) {
        final float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (random.nextDouble() * 2 - 1);
        }
        return v;
    }
}
