package io.funnel.engine.retrieval;

import io.funnel.codecs.EventType;
import io.funnel.engine.data.Dataset;
import java.util.Arrays;

/**
 * Item-to-item co-visitation: for each item, the items that the same users interacted with shortly before or after
 * it, weighted by closeness in the user's sequence and damped by the neighbour's popularity. Stored as compressed
 * sparse rows (offsets, neighbours, weights), best neighbour first.
 *
 * <p>Threading: immutable after {@link #build}; safe for concurrent reads.
 */
public final class CoVisitation {
    private final int[] offsets;
    private final int[] neighbours;
    private final float[] weights;

    private CoVisitation(final int[] offsets, final int[] neighbours, final float[] weights) {
        this.offsets = offsets;
        this.neighbours = neighbours;
        this.weights = weights;
    }

    /**
     * Builds the table from a log.
     *
     * @param window how many steps before and after an interaction count as co-visits
     * @param maxNeighbours neighbours kept per item
     */
    public static CoVisitation build(final Dataset data, final int window, final int maxNeighbours) {
        final int items = data.itemCount();
        final int n = data.size();
        // Group the log by user (the log is time-sorted, so each user's sequence stays in time order).
        final org.agrona.collections.Long2LongHashMap userIndex = new org.agrona.collections.Long2LongHashMap(-1);
        final int[] userOf = new int[n];
        for (int e = 0; e < n; e++) {
            long u = userIndex.get(data.userId(e));
            if (u < 0) {
                u = userIndex.size();
                userIndex.put(data.userId(e), u);
            }
            userOf[e] = (int) u;
        }
        final int users = userIndex.size();
        final int[] userStart = new int[users + 1];
        for (int e = 0; e < n; e++) {
            userStart[userOf[e] + 1]++;
        }
        for (int u = 0; u < users; u++) {
            userStart[u + 1] += userStart[u];
        }
        final int[] seq = new int[n];
        final float[] seqWeight = new float[n];
        final int[] fill = Arrays.copyOf(userStart, users);
        // For each event, where it sits in its user's sequence.
        final int[] position = new int[n];
        for (int e = 0; e < n; e++) {
            final int at = fill[userOf[e]]++;
            seq[at] = data.item(e);
            seqWeight[at] = EventType.ofCode(data.type(e)).weight();
            position[e] = at;
        }
        // Occurrences of each item (positions in seq), to walk item by item.
        final int[] itemStart = new int[items + 1];
        final float[] itemCount = new float[items];
        for (int e = 0; e < n; e++) {
            itemStart[data.item(e) + 1]++;
            itemCount[data.item(e)] += 1f;
        }
        for (int i = 0; i < items; i++) {
            itemStart[i + 1] += itemStart[i];
        }
        final int[] occurrences = new int[n];
        final int[] itemFill = Arrays.copyOf(itemStart, items);
        final int[] userAtPosition = new int[n];
        for (int e = 0; e < n; e++) {
            occurrences[itemFill[data.item(e)]++] = position[e];
            userAtPosition[position[e]] = userOf[e];
        }

        final float[] acc = new float[items];
        final int[] touched = new int[items];
        final int[] offsets = new int[items + 1];
        int[] outNeighbours = new int[Math.max(16, Math.min(items * maxNeighbours, n * 2))];
        float[] outWeights = new float[outNeighbours.length];
        final int[] bestIdx = new int[maxNeighbours];
        final float[] bestW = new float[maxNeighbours];
        int written = 0;
        for (int item = 0; item < items; item++) {
            int touchedCount = 0;
            for (int o = itemStart[item]; o < itemStart[item + 1]; o++) {
                final int at = occurrences[o];
                final int u = userAtPosition[at];
                final int from = Math.max(userStart[u], at - window);
                final int to = Math.min(userStart[u + 1] - 1, at + window);
                for (int p = from; p <= to; p++) {
                    final int other = seq[p];
                    if (other == item) {
                        continue;
                    }
                    if (acc[other] == 0f) {
                        touched[touchedCount++] = other;
                    }
                    acc[other] += seqWeight[p] / Math.abs(p - at);
                }
            }
            // Keep the best neighbours, damping popular ones (a cosine-like normalisation).
            int kept = 0;
            for (int t = 0; t < touchedCount; t++) {
                final int other = touched[t];
                final float w = (float) (acc[other] / Math.sqrt(itemCount[other] * Math.max(1f, itemCount[item])));
                acc[other] = 0f;
                if (kept < maxNeighbours) {
                    insert(bestIdx, bestW, kept++, other, w);
                } else if (w > bestW[maxNeighbours - 1]) {
                    insert(bestIdx, bestW, maxNeighbours - 1, other, w);
                }
            }
            if (written + kept > outNeighbours.length) {
                outNeighbours = Arrays.copyOf(outNeighbours, Math.max(written + kept, outNeighbours.length * 2));
                outWeights = Arrays.copyOf(outWeights, outNeighbours.length);
            }
            System.arraycopy(bestIdx, 0, outNeighbours, written, kept);
            System.arraycopy(bestW, 0, outWeights, written, kept);
            written += kept;
            offsets[item + 1] = written;
        }
        return new CoVisitation(offsets, Arrays.copyOf(outNeighbours, written), Arrays.copyOf(outWeights, written));
    }

    /** Inserts into a list sorted by weight descending, at most at position {@code last}. */
    private static void insert(final int[] idx, final float[] w, final int last, final int item, final float weight) {
        int i = last;
        while (i > 0 && w[i - 1] < weight) {
            idx[i] = idx[i - 1];
            w[i] = w[i - 1];
            i--;
        }
        idx[i] = item;
        w[i] = weight;
    }

    /** Number of neighbours of {@code item}. */
    public int neighbourCount(final int item) {
        return item + 1 < offsets.length ? offsets[item + 1] - offsets[item] : 0;
    }

    /** The {@code i}-th best neighbour of {@code item}. */
    public int neighbour(final int item, final int i) {
        return neighbours[offsets[item] + i];
    }

    /** Weight of the {@code i}-th best neighbour of {@code item}. */
    public float weight(final int item, final int i) {
        return weights[offsets[item] + i];
    }

    /** Total number of stored pairs. */
    public int pairCount() {
        return neighbours.length;
    }

    /**
     * Writes the table: item count, pair count, then offsets, neighbours and weights. {@link #readFrom} reads it
     * back.
     */
    public void writeTo(final java.io.DataOutput out) throws java.io.IOException {
        out.writeInt(offsets.length - 1);
        out.writeInt(neighbours.length);
        for (final int o : offsets) {
            out.writeInt(o);
        }
        for (int i = 0; i < neighbours.length; i++) {
            out.writeInt(neighbours[i]);
            out.writeFloat(weights[i]);
        }
    }

    /**
     * Reads a table written by {@link #writeTo} and checks it against a catalog of {@code items} items.
     *
     * @param source names the input in errors
     * @throws IllegalArgumentException naming {@code source} when the table is inconsistent or for another catalog
     */
    public static CoVisitation readFrom(final java.io.DataInput in, final int items, final String source)
            throws java.io.IOException {
        final int stored = in.readInt();
        final int pairs = in.readInt();
        if (stored != items || pairs < 0) {
            throw new IllegalArgumentException(source + ": co-visitation table for " + stored + " items with " + pairs
                    + " pairs; the catalog has " + items + " items");
        }
        final int[] offsets = new int[items + 1];
        for (int i = 0; i <= items; i++) {
            offsets[i] = in.readInt();
            if (offsets[i] < (i == 0 ? 0 : offsets[i - 1]) || offsets[i] > pairs) {
                throw new IllegalArgumentException(source + ": co-visitation offset " + i + " is out of order");
            }
        }
        final int[] neighbours = new int[pairs];
        final float[] weights = new float[pairs];
        for (int i = 0; i < pairs; i++) {
            neighbours[i] = in.readInt();
            weights[i] = in.readFloat();
            if (neighbours[i] < 0 || neighbours[i] >= items) {
                throw new IllegalArgumentException(source + ": co-visitation pair " + i + " names item ordinal "
                        + neighbours[i] + " of " + items);
            }
        }
        return new CoVisitation(offsets, neighbours, weights);
    }
}
