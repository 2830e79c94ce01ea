package io.funnel.ann;

import java.lang.foreign.MemorySegment;

/**
 * The distance kernels every index in this module uses, behind one interface so that SIMD code stays in one class.
 * Two implementations exist: {@link PanamaVectorOps} (the incubating Vector API) and {@link ScalarVectorOps} (plain
 * Java, unrolled). {@link #provider()} picks one once per JVM.
 *
 * <p>Kernels return raw values (a distance or a product), not scores; callers turn them into scores. Float vectors
 * in a {@link MemorySegment} are read in native byte order starting at a byte offset; int8 vectors are signed bytes.
 *
 * <p>Threading: implementations are stateless and safe to call from any number of threads. No kernel allocates.
 */
public interface VectorOps {
    /** System property that forces a choice: {@code auto} (default), {@code panama} or {@code scalar}. */
    String PROPERTY = "funnel.vectorOps";

    /** A short name for logs and reports: {@code panama-512} (lanes in bits) or {@code scalar}. */
    String name();

    /** Dot product of {@code length} floats of {@code a} from {@code aOffset} and {@code b} from {@code bOffset}. */
    float dotProduct(float[] a, int aOffset, float[] b, int bOffset, int length);

    /** Squared Euclidean distance of {@code length} floats of {@code a} and {@code b} from their offsets. */
    float squaredDistance(float[] a, int aOffset, float[] b, int bOffset, int length);

    /** Dot product of {@code q[0..length)} and the floats of {@code data} starting at byte {@code byteOffset}. */
    float dotProduct(float[] q, MemorySegment data, long byteOffset, int length);

    /** Squared Euclidean distance of {@code q[0..length)} and the floats of {@code data} at byte {@code byteOffset}. */
    float squaredDistance(float[] q, MemorySegment data, long byteOffset, int length);

    /** Dot product of signed bytes {@code q[0..length)} and those of {@code data} from byte {@code byteOffset}. */
    int dotProductInt8(byte[] q, MemorySegment data, long byteOffset, int length);

    /** Squared Euclidean distance of signed bytes {@code q[0..length)} and {@code data} from {@code byteOffset}. */
    int squaredDistanceInt8(byte[] q, MemorySegment data, long byteOffset, int length);

    /**
     * Cosine similarity of {@code a} and {@code b} (equal lengths); 0 if either has norm 0. Indexes normalise vectors
     * once and use {@link #dotProduct}; this kernel serves callers that hold raw vectors.
     */
    default float cosine(final float[] a, final float[] b) {
        final float ab = dotProduct(a, 0, b, 0, a.length);
        final float aa = dotProduct(a, 0, a, 0, a.length);
        final float bb = dotProduct(b, 0, b, 0, b.length);
        if (aa == 0f || bb == 0f) {
            return 0f;
        }
        return (float) (ab / Math.sqrt((double) aa * bb));
    }

    /**
     * The implementation for this JVM, chosen once: the Vector API when module {@code jdk.incubator.vector} is in the
     * boot layer (unless {@code -Dfunnel.vectorOps=scalar}), the scalar kernels otherwise.
     *
     * @throws IllegalStateException if {@code -Dfunnel.vectorOps=panama} is set but the module is missing, or the
     *     property has an unknown value
     */
    static VectorOps provider() {
        return VectorOpsProvider.INSTANCE;
    }
}
