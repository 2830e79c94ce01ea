package io.funnel.model.internal;

/**
 * Dot products for the pre-ranker, chosen once by {@link #provider()}: the Vector API when the
 * {@code jdk.incubator.vector} module is readable, a plain unrolled loop otherwise, or forced with
 * {@code -Dfunnel.vectorOps=scalar|simd}.
 *
 * <p>Threading: implementations are stateless.
 */
public interface DotKernel {
    /** {@code sum(a[aOffset + i] * b[bOffset + i])} for {@code i < length}. */
    float dot(float[] a, int aOffset, float[] b, int bOffset, int length);

    /** A short name for logs and benchmarks: {@code simd} or {@code scalar}. */
    String name();

    /** The kernel for this JVM, chosen once. */
    static DotKernel provider() {
        return Holder.INSTANCE;
    }

    /** The scalar kernel (always available; the reference for parity tests). */
    static DotKernel scalar() {
        return ScalarDotKernel.INSTANCE;
    }

    /** Lazily picks the kernel so that the Panama class is only loaded when its module is there. */
    final class Holder {
        static final DotKernel INSTANCE = choose(System.getProperty("funnel.vectorOps", "auto"));

        private Holder() {}

        static DotKernel choose(final String mode) {
            final boolean vectorModule = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
            if ("scalar".equals(mode) || !vectorModule) {
                return ScalarDotKernel.INSTANCE;
            }
            return PanamaDotKernel.INSTANCE;
        }
    }
}
