package io.funnel.engine.data;

import io.funnel.codecs.EventType;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Writes synthetic but realistic recommendation data, deterministic for a seed and end time:
 *
 * <ul>
 *   <li>items belong to categories of Zipf-distributed size and sit near their category's centre in a hidden
 *       latent space; their base popularity follows a power law; 5% are out of stock; ages spread over 180 days
 *       with a slice of fresh items from the last two days;
 *   <li>users have hidden preferences (a mix of one to three category centres) and power-law activity;
 *   <li>each interaction picks a handful of items by popularity and then one of them with probability rising with
 *       the user's hidden affinity; with some probability it follows one of the previous item's few related items
 *       (sequels, accessories), and with some probability stays in the previous item's category (sessions), so
 *       that personalisation and item-to-item co-visitation both carry signal that popularity alone lacks.
 * </ul>
 *
 * <p>Threading: confined to one thread.
 */
public final class SyntheticGenerator {
    private static final int LATENT = 16;
    private static final long DAY_MS = 86_400_000L;

    private int items = 10_000;
    private int users = 5_000;
    private int events = 200_000;
    private int categories = 40;
    private long seed = 1;
    // The log ends at the start of today (UTC) so freshness and trending make sense when served now; pass endMs to
    // reproduce a data set exactly on another day.
    private long endMs = System.currentTimeMillis() / DAY_MS * DAY_MS;
    private int choices = 24;
    private float affinity = 4f;
    private float sessionStickiness = 0.35f;
    private float followRelated = 0.3f;
    private static final int RELATED = 4;

    public SyntheticGenerator items(final int n) {
        items = positive(n, "items");
        return this;
    }

    public SyntheticGenerator users(final int n) {
        users = positive(n, "users");
        return this;
    }

    public SyntheticGenerator events(final int n) {
        events = positive(n, "events");
        return this;
    }

    public SyntheticGenerator categories(final int n) {
        categories = positive(n, "categories");
        return this;
    }

    public SyntheticGenerator seed(final long value) {
        seed = value;
        return this;
    }

    /** Time of the last interaction, epoch milliseconds; the log covers the 30 days before it. */
    public SyntheticGenerator endMs(final long value) {
        endMs = value;
        return this;
    }

    private static int positive(final int n, final String what) {
        if (n <= 0) {
            throw new IllegalArgumentException(what + " must be positive, got " + n);
        }
        return n;
    }

    /** Generates the dataset in memory. */
    public Dataset generate() {
        final SplittableRandom random = new SplittableRandom(seed);
        final int cats = Math.min(categories, items);
        final float[] centres = gaussian(random, cats * LATENT, 1f);

        // Items: category sizes are Zipf-like, popularity a power law over a random permutation.
        final double[] catWeights = new double[cats];
        for (int c = 0; c < cats; c++) {
            catWeights[c] = 1.0 / Math.pow(c + 1, 0.7);
        }
        final double[] catCdf = cdf(catWeights);
        final long[] itemIds = new long[items];
        final int[] category = new int[items];
        final boolean[] inStock = new boolean[items];
        final long[] created = new long[items];
        final int[] creator = new int[items];
        final float[] itemVec = new float[items * LATENT];
        final double[] popularity = new double[items];
        final int[] rankOf = permutation(random, items);
        for (int i = 0; i < items; i++) {
            itemIds[i] = 100_000L + i;
            final int c = sample(catCdf, random.nextDouble());
            category[i] = c;
            inStock[i] = random.nextDouble() >= 0.05;
            // About 25 items per creator, each creator working in one category.
            creator[i] = c * (1 + items / (25 * cats)) + random.nextInt(1 + items / (25 * cats));
            final boolean fresh = random.nextDouble() < 0.03;
            final long ageMs = fresh ? (long) (random.nextDouble() * 2 * DAY_MS) : (long) (random.nextDouble() * 180 * DAY_MS);
            created[i] = endMs - ageMs;
            for (int k = 0; k < LATENT; k++) {
                itemVec[i * LATENT + k] = centres[c * LATENT + k] + (float) random.nextGaussian() * 0.6f;
            }
            popularity[i] = 1.0 / Math.pow(rankOf[i] + 1, 0.85);
            if (fresh) {
                popularity[i] *= 0.3; // new items have had less time to be seen
            }
        }
        final double[] popCdf = cdf(popularity);

        // Users: preference = mix of 1..3 category centres; activity is a power law.
        final float[] userVec = new float[users * LATENT];
        final double[] activity = new double[users];
        final int[] userRank = permutation(random, users);
        for (int u = 0; u < users; u++) {
            final int mix = 1 + random.nextInt(3);
            for (int m = 0; m < mix; m++) {
                final int c = sample(catCdf, random.nextDouble());
                for (int k = 0; k < LATENT; k++) {
                    userVec[u * LATENT + k] += centres[c * LATENT + k] / mix;
                }
            }
            for (int k = 0; k < LATENT; k++) {
                userVec[u * LATENT + k] += (float) random.nextGaussian() * 0.3f;
            }
            activity[u] = 1.0 / Math.pow(userRank[u] + 1, 0.6);
        }
        final double[] userCdf = cdf(activity);

        // Category membership lists for session stickiness.
        final int[][] byCategory = byCategory(category, cats);
        // Each item has a few related items in its own category, drawn once.
        final int[][] related = new int[items][RELATED];
        for (int i = 0; i < items; i++) {
            final int[] members = byCategory[category[i]];
            for (int r = 0; r < RELATED; r++) {
                related[i][r] = members[random.nextInt(members.length)];
            }
        }
        final int[] lastItem = new int[users];
        Arrays.fill(lastItem, -1);

        final long[] evUser = new long[events];
        final int[] evItem = new int[events];
        final byte[] evType = new byte[events];
        final long[] evTs = new long[events];
        final long startMs = endMs - 30 * DAY_MS;
        final double step = (double) (endMs - startMs) / events;
        final int[] pool = new int[choices];
        final double[] weights = new double[choices];
        for (int e = 0; e < events; e++) {
            final int u = sample(userCdf, random.nextDouble());
            int n = 0;
            final int previous = lastItem[u];
            if (previous >= 0 && random.nextDouble() < followRelated) {
                final int next = related[previous][random.nextInt(RELATED)];
                if (inStock[next] && next != previous) {
                    record(e, u, next, random, lastItem, evUser, evItem, evType, evTs, startMs, step);
                    continue;
                }
            }
            final boolean stay = previous >= 0 && random.nextDouble() < sessionStickiness;
            for (int j = 0; j < choices; j++) {
                final int candidate;
                if (stay) {
                    final int[] members = byCategory[category[previous]];
                    candidate = members[random.nextInt(members.length)];
                } else {
                    candidate = sample(popCdf, random.nextDouble());
                }
                if (!inStock[candidate]) {
                    continue;
                }
                pool[n] = candidate;
                weights[n] = Math.exp(affinity * dot(userVec, u, itemVec, candidate) / LATENT)
                        * (stay ? Math.sqrt(popularity[candidate] * items) : 1.0);
                n++;
            }
            if (n == 0) {
                pool[0] = sample(popCdf, random.nextDouble());
                weights[0] = 1;
                n = 1;
            }
            record(e, u, pool[choose(weights, n, random.nextDouble())], random, lastItem, evUser, evItem, evType, evTs,
                    startMs, step);
        }
        return new Dataset("generated(seed=" + seed + ")", itemIds, category, inStock, created, creator, evUser,
                evItem, evType, evTs);
    }

    /** Generates and writes {@code items.csv} and {@code interactions.csv} (see {@link DatasetFormat}). */
    public Dataset write(final Path dir) {
        final Dataset data = generate();
        try {
            Files.createDirectories(dir);
            try (BufferedWriter w = Files.newBufferedWriter(dir.resolve("items.csv"), StandardCharsets.UTF_8)) {
                w.write("item_id,category,in_stock,created_at_ms,creator_id\n");
                for (int i = 0; i < data.itemCount(); i++) {
                    w.write(data.itemId(i) + "," + data.category(i) + "," + (data.inStock(i) ? 1 : 0) + ","
                            + data.createdAtMs(i) + "," + data.creator(i) + "\n");
                }
            }
            try (BufferedWriter w = Files.newBufferedWriter(dir.resolve("interactions.csv"), StandardCharsets.UTF_8)) {
                w.write("user_id,item_id,type,timestamp_ms\n");
                final StringBuilder line = new StringBuilder(64);
                for (int e = 0; e < data.size(); e++) {
                    line.setLength(0);
                    line.append(data.userId(e)).append(',').append(data.itemId(data.item(e))).append(',')
                            .append(EventType.ofCode(data.type(e)).wireName()).append(',').append(data.tsMs(e))
                            .append('\n');
                    w.append(line);
                }
            }
            Files.writeString(dir.resolve("generator.json"), String.format(Locale.ROOT,
                    "{\"items\": %d, \"users\": %d, \"events\": %d, \"categories\": %d, \"seed\": %d, \"endMs\": %d}%n",
                    items, users, events, categories, seed, endMs));
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot write generated data to " + dir, e);
        }
        return data;
    }

    private static void record(final int e, final int u, final int item, final SplittableRandom random,
            final int[] lastItem, final long[] evUser, final int[] evItem, final byte[] evType, final long[] evTs,
            final long startMs, final double step) {
        lastItem[u] = item;
        evUser[e] = 1L + u;
        evItem[e] = item;
        final double t = random.nextDouble();
        evType[e] = (byte) (t < 0.70 ? EventType.CLICK : t < 0.92 ? EventType.LIKE : EventType.PURCHASE).ordinal();
        evTs[e] = startMs + (long) (e * step);
    }

    private static float dot(final float[] a, final int ai, final float[] b, final int bi) {
        float s = 0;
        for (int k = 0; k < LATENT; k++) {
            s += a[ai * LATENT + k] * b[bi * LATENT + k];
        }
        return s;
    }

    private static float[] gaussian(final SplittableRandom random, final int n, final float scale) {
        final float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = (float) random.nextGaussian() * scale;
        }
        return out;
    }

    private static int[] permutation(final SplittableRandom random, final int n) {
        final int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            final int j = random.nextInt(i + 1);
            final int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    private static int[][] byCategory(final int[] category, final int cats) {
        final int[] counts = new int[cats];
        for (final int c : category) {
            counts[c]++;
        }
        final int[][] out = new int[cats][];
        for (int c = 0; c < cats; c++) {
            out[c] = new int[Math.max(1, counts[c])];
        }
        final int[] fill = new int[cats];
        for (int i = 0; i < category.length; i++) {
            out[category[i]][fill[category[i]]++] = i;
        }
        return out;
    }

    private static double[] cdf(final double[] weights) {
        final double[] out = new double[weights.length];
        double sum = 0;
        for (int i = 0; i < weights.length; i++) {
            sum += weights[i];
            out[i] = sum;
        }
        for (int i = 0; i < out.length; i++) {
            out[i] /= sum;
        }
        return out;
    }

    private static int sample(final double[] cdf, final double u) {
        final int i = Arrays.binarySearch(cdf, u);
        return Math.min(cdf.length - 1, i >= 0 ? i : -i - 1);
    }

    private static int choose(final double[] weights, final int n, final double u) {
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += weights[i];
        }
        double acc = 0;
        for (int i = 0; i < n; i++) {
            acc += weights[i] / sum;
            if (u < acc) {
                return i;
            }
        }
        return n - 1;
    }
}
