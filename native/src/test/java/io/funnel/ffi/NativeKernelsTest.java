package io.funnel.ffi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class NativeKernelsTest {
    /** Tolerance, relative to the sum of the absolute terms (so a dot product near 0 is judged fairly). */
    private static final double RELATIVE_TOLERANCE = 1e-4;

    private static void assumeAvailable() {
        assumeTrue(NativeKernels.isAvailable(), () -> "C kernels not available: " + NativeKernels.unavailableReason());
    }

    private static float[] random(final SplittableRandom random, final int n) {
        final float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (random.nextDouble() * 2 - 1);
        }
        return v;
    }

    private static float scalarDot(final float[] a, final float[] b) {
        float sum = 0f;
        for (int i = 0; i < a.length; i++) {
            sum += a[i] * b[i];
        }
        return sum;
    }

    private static float scalarSquaredL2(final float[] a, final float[] b) {
        float sum = 0f;
        for (int i = 0; i < a.length; i++) {
            final float d = a[i] - b[i];
            sum += d * d;
        }
        return sum;
    }

    private static void assertClose(
            final float expected, final float actual, final double magnitude, final String what) {
        final double bound = RELATIVE_TOLERANCE * Math.max(magnitude, Float.MIN_NORMAL);
        assertTrue(Math.abs(expected - actual) <= bound,
                what + ": C " + actual + " vs Java " + expected + " (bound " + bound + ")");
    }

    @ParameterizedTest(name = "n={0}")
    @ValueSource(ints = {1, 7, 64, 128, 768, 1021})
    void cKernelsMatchAPlainJavaLoop(final int n) {
        assumeAvailable();
        final SplittableRandom random = new SplittableRandom(n * 31L + 7);
        final float[] a = random(random, n);
        final float[] b = random(random, n);
        double absDot = 0;
        for (int i = 0; i < n; i++) {
            absDot += Math.abs((double) a[i] * b[i]);
        }
        try (Arena arena = Arena.ofConfined()) {
            // Native segments, one of them at an odd offset so that the unaligned loads are exercised.
            final MemorySegment na = arena.allocate((long) n * Float.BYTES + 4).asSlice(4);
            final MemorySegment nb = arena.allocate((long) n * Float.BYTES);
            MemorySegment.copy(a, 0, na, ValueLayout.JAVA_FLOAT_UNALIGNED, 0, n);
            MemorySegment.copy(b, 0, nb, ValueLayout.JAVA_FLOAT_UNALIGNED, 0, n);
            final float dot = scalarDot(a, b);
            final float l2 = scalarSquaredL2(a, b);
            assertClose(dot, NativeKernels.dot(na, nb, n), absDot, "dot n=" + n + " native");
            assertClose(l2, NativeKernels.squaredL2(na, nb, n), l2, "squaredL2 n=" + n + " native");
            // Heap segments go through the same critical downcall.
            final MemorySegment ha = MemorySegment.ofArray(a);
            final MemorySegment hb = MemorySegment.ofArray(b);
            assertClose(dot, NativeKernels.dot(ha, hb, n), absDot, "dot n=" + n + " heap");
            assertClose(l2, NativeKernels.squaredL2(ha, hb, n), l2, "squaredL2 n=" + n + " heap");
        }
    }

    @ParameterizedTest(name = "n={0}")
    @ValueSource(ints = {1, 7, 16, 64, 128, 768, 1021})
    void int8DotIsExactlyTheJavaLoop(final int n) {
        assumeAvailable();
        final SplittableRandom random = new SplittableRandom(n * 17L + 3);
        final byte[] a = new byte[n];
        final byte[] b = new byte[n];
        int expected = 0;
        for (int i = 0; i < n; i++) {
            // Full signed range, -128 included: the widening must be sign-correct.
            a[i] = (byte) random.nextInt(256);
            b[i] = (byte) random.nextInt(256);
            expected += a[i] * b[i];
        }
        assertEquals(expected, NativeKernels.dotInt8(MemorySegment.ofArray(a), MemorySegment.ofArray(b), n));
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment na = arena.allocate(n + 1L).asSlice(1);
            final MemorySegment nb = arena.allocate(n);
            MemorySegment.copy(a, 0, na, ValueLayout.JAVA_BYTE, 0, n);
            MemorySegment.copy(b, 0, nb, ValueLayout.JAVA_BYTE, 0, n);
            assertEquals(expected, NativeKernels.dotInt8(na, nb, n));
        }
    }

    @Test
    void int8DotAtTheExtremes() {
        final byte[] min = new byte[1021];
        Arrays.fill(min, Byte.MIN_VALUE);
        final MemorySegment segment = MemorySegment.ofArray(min);
        assertEquals(1021 * 128 * 128, NativeKernels.dotInt8(segment, segment, 1021));
    }

    @Test
    void zeroLengthIsZero() {
        final MemorySegment empty = MemorySegment.ofArray(new float[0]);
        assertEquals(0f, NativeKernels.dot(empty, empty, 0));
        assertEquals(0f, NativeKernels.squaredL2(empty, empty, 0));
        assertEquals(0, NativeKernels.dotInt8(empty, empty, 0));
    }

    @Test
    void badLengthsAreRejectedNamingThem() {
        final MemorySegment a = MemorySegment.ofArray(new float[8]);
        final MemorySegment b = MemorySegment.ofArray(new float[4]);
        final IllegalArgumentException negative =
                assertThrows(IllegalArgumentException.class, () -> NativeKernels.dot(a, a, -1));
        assertTrue(negative.getMessage().contains("-1"), negative.getMessage());
        final IllegalArgumentException tooShort =
                assertThrows(IllegalArgumentException.class, () -> NativeKernels.squaredL2(a, b, 8));
        assertTrue(tooShort.getMessage().contains("segment b") && tooShort.getMessage().contains("n=8"),
                tooShort.getMessage());
    }

    @Test
    void withoutTheLibraryTheKernelsStillAnswerAndSayWhy() {
        final float[] a = {1, 2, 3};
        final float[] b = {4, 5, 6};
        assertEquals(32f, NativeKernels.dot(MemorySegment.ofArray(a), MemorySegment.ofArray(b), 3), 1e-5f);
        assertEquals(27f, NativeKernels.squaredL2(MemorySegment.ofArray(a), MemorySegment.ofArray(b), 3), 1e-5f);
        if (NativeKernels.isAvailable()) {
            assertNull(NativeKernels.unavailableReason());
            assertTrue(NativeKernels.librarySource().endsWith("libfunnelkernels.so"));
        } else {
            assertTrue(!NativeKernels.unavailableReason().isBlank());
        }
    }
}
