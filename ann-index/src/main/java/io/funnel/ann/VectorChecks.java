package io.funnel.ann;

/** Argument checks shared by the index implementations; messages name the bad value. */
public final class VectorChecks {
    private VectorChecks() {}

    /**
     * Throws if {@code vector} does not have {@code dimension} finite components.
     *
     * @param what how the caller names the vector in the message, e.g. "query" or "vector for ordinal 7"
     */
    public static void requireValid(final float[] vector, final int dimension, final String what) {
        if (vector == null) {
            throw new IllegalArgumentException(what + " is null");
        }
        if (vector.length != dimension) {
            throw new IllegalArgumentException(
                    what + " has " + vector.length + " dimensions, the index has " + dimension);
        }
        for (int i = 0; i < vector.length; i++) {
            if (!Float.isFinite(vector[i])) {
                throw new IllegalArgumentException(what + " component " + i + " is " + vector[i]);
            }
        }
    }
}
