package io.funnel.model.train;

import java.util.Arrays;

/**
 * Area under the ROC curve, computed exactly from ranks (Mann-Whitney U) with ties sharing their average rank.
 *
 * <p>Threading: stateless.
 */
public final class Auc {
    private Auc() {}

    /**
     * The AUC of {@code scores} against binary {@code labels} (label > 0.5 is positive).
     *
     * @return in [0, 1], or {@code NaN} when all labels are equal
     */
    public static double of(final float[] scores, final float[] labels, final int n) {
        final long[] packed = new long[n];
        for (int i = 0; i < n; i++) {
            // Sort by score, keep the index: a float's order-preserving int in the high half.
            final int bits = Float.floatToIntBits(scores[i]);
            final int key = bits < 0 ? ~bits : bits | Integer.MIN_VALUE;
            packed[i] = ((long) (key ^ Integer.MIN_VALUE) << 32) | i;
        }
        Arrays.sort(packed);
        long positives = 0;
        double rankSumPositives = 0;
        int i = 0;
        while (i < n) {
            int j = i;
            final long key = packed[i] >> 32;
            while (j < n && (packed[j] >> 32) == key) {
                j++;
            }
            final double averageRank = (i + 1 + j) / 2.0; // ranks i+1 .. j
            for (int k = i; k < j; k++) {
                if (labels[(int) packed[k]] > 0.5f) {
                    positives++;
                    rankSumPositives += averageRank;
                }
            }
            i = j;
        }
        final long negatives = n - positives;
        if (positives == 0 || negatives == 0) {
            return Double.NaN;
        }
        return (rankSumPositives - positives * (positives + 1) / 2.0) / ((double) positives * negatives);
    }
}
