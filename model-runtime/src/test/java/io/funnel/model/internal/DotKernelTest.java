package io.funnel.model.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class DotKernelTest {
    @Test
    void simdMatchesScalarOnOddLengthsAndOffsets() {
        final SplittableRandom random = new SplittableRandom(5);
        final float[] a = new float[1100];
        final float[] b = new float[1100];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) random.nextGaussian();
            b[i] = (float) random.nextGaussian();
        }
        final DotKernel simd = DotKernel.Holder.choose("auto");
        final DotKernel scalar = DotKernel.scalar();
        for (final int length : new int[] {0, 1, 3, 7, 8, 15, 16, 17, 31, 64, 127, 1021}) {
            for (final int offset : new int[] {0, 1, 5}) {
                double exact = 0;
                for (int i = 0; i < length; i++) {
                    exact += (double) a[offset + i] * b[3 + i];
                }
                // Float sums in different orders: within 1e-4 relative to the sum of magnitudes.
                final double tolerance = 1e-4 * Math.max(1, Math.sqrt(length));
                assertEquals(exact, scalar.dot(a, offset, b, 3, length), tolerance, "scalar " + length);
                assertEquals(exact, simd.dot(a, offset, b, 3, length), tolerance, simd.name() + " " + length);
            }
        }
    }

    @Test
    void propertyForcesScalar() {
        assertEquals("scalar", DotKernel.Holder.choose("scalar").name());
    }
}
