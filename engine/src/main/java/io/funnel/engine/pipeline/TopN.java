package io.funnel.engine.pipeline;

/** Selects the positions of the highest scores, allocation-free given a scratch array. */
public final class TopN {
    private TopN() {}

    /**
     * Writes into {@code order} the positions of the {@code keep} highest of {@code scores[0..n)}, best first; ties
     * go to the lower position.
     *
     * @param scratch at least {@code n} longs
     * @return the number written, {@code min(n, keep)}
     */
    public static int select(final float[] scores, final int n, final int keep, final int[] order,
            final long[] scratch) {
        for (int i = 0; i < n; i++) {
            scratch[i] = pack(scores[i], i);
        }
        java.util.Arrays.sort(scratch, 0, n);
        final int m = Math.min(n, keep);
        for (int i = 0; i < m; i++) {
            order[i] = position(scratch[n - 1 - i]);
        }
        return m;
    }

    /** Packs (score, position) so that sorting the longs sorts by score, then by lower position last-first. */
    static long pack(final float score, final int position) {
        int bits = Float.floatToRawIntBits(score);
        bits ^= (bits >> 31) & 0x7fffffff;
        return ((long) bits << 32) | (~position & 0xffffffffL);
    }

    static int position(final long packed) {
        return ~(int) packed;
    }
}
