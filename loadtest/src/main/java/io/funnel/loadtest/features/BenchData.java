package io.funnel.loadtest.features;

import io.funnel.features.FeatureSchema;
import io.funnel.features.FeatureType;
import io.funnel.features.ItemRowFlyweight;
import io.funnel.features.RowLayout;
import io.funnel.features.UserRowFlyweight;
import java.util.SplittableRandom;

/**
 * Deterministic synthetic payload for the feature hydration benchmarks: every backend gets the same rows. Items have
 * a 64-d embedding and 16 scalars (the schema of {@code config/features.yaml}); users an embedding and 16 recent
 * items.
 */
public final class BenchData {
    /** Recent items written per user. */
    public static final int RECENT_PER_USER = 16;

    private final FeatureSchema schema;
    private final int[] floatOffsets;
    private final int[] intOffsets;
    private final int[] longOffsets;
    private final float[] vector;

    /** Creates the generator for {@code schema}. */
    public BenchData(final FeatureSchema schema) {
        this.schema = schema;
        final RowLayout l = schema.itemLayout();
        this.floatOffsets = l.features().stream().filter(f -> f.type() == FeatureType.FLOAT)
                .mapToInt(f -> l.offset(f.name())).toArray();
        this.intOffsets = l.features().stream()
                .filter(f -> (f.type() == FeatureType.INT || f.type() == FeatureType.CATEGORY)
                        && !f.name().equals(FeatureSchema.CATEGORY) && !f.name().equals(FeatureSchema.IN_STOCK))
                .mapToInt(f -> l.offset(f.name())).toArray();
        this.longOffsets = l.features().stream()
                .filter(f -> (f.type() == FeatureType.LONG || f.type() == FeatureType.TIMESTAMP)
                        && !f.name().equals(FeatureSchema.CREATED_AT_MS))
                .mapToInt(f -> l.offset(f.name())).toArray();
        this.vector = new float[schema.dimension()];
    }

    /**
     * The benchmark schema: {@code config/features.yaml}'s layout built in code (64-d embeddings, 16 item scalars),
     * so the benchmark runs from any directory.
     */
    public static FeatureSchema schema(final int dimension) {
        return FeatureSchema.builder().version(1).source("bench schema")
                .item(FeatureSchema.EMBEDDING, FeatureType.FLOAT_VECTOR, dimension, 0)
                .item(FeatureSchema.CATEGORY, FeatureType.CATEGORY, 1, 0)
                .item(FeatureSchema.IN_STOCK, FeatureType.INT, 1, 1)
                .item(FeatureSchema.CREATED_AT_MS, FeatureType.TIMESTAMP, 1, 0)
                .item("price", FeatureType.FLOAT, 1, 0)
                .item("rating", FeatureType.FLOAT, 1, 0)
                .item("rating_count", FeatureType.INT, 1, 0)
                .item("brand", FeatureType.CATEGORY, 1, 0)
                .item("popularity", FeatureType.FLOAT, 1, 0)
                .item("quality", FeatureType.FLOAT, 1, 0.5)
                .item("discount", FeatureType.FLOAT, 1, 0)
                .item("duration_s", FeatureType.FLOAT, 1, 0)
                .item("margin", FeatureType.FLOAT, 1, 0)
                .item("region", FeatureType.CATEGORY, 1, 0)
                .item("seller_id", FeatureType.LONG, 1, 0)
                .item("review_score", FeatureType.FLOAT, 1, 0)
                .item("freshness", FeatureType.FLOAT, 1, 1)
                .user(FeatureSchema.EMBEDDING, FeatureType.FLOAT_VECTOR, dimension, 0)
                .user(FeatureSchema.RECENT_ITEMS, FeatureType.ID_LIST, 64, 0)
                .user("country", FeatureType.CATEGORY, 1, 0)
                .user("age_bucket", FeatureType.CATEGORY, 1, 0)
                .user("lifetime_value", FeatureType.FLOAT, 1, 0)
                .build();
    }

    /** External id of item {@code i} (sparse, so the id map is a real hash lookup). */
    public static long itemId(final int i) {
        return 13L + 7L * i;
    }

    /** External id of user {@code u}. */
    public static long userId(final int u) {
        return 1_000_003L + 11L * u;
    }

    /** Fills the staged/wrapped item row for item {@code i}. */
    public void fillItem(final ItemRowFlyweight row, final int i) {
        final SplittableRandom r = new SplittableRandom(i * 0x9E3779B97F4A7C15L);
        for (int k = 0; k < vector.length; k++) {
            vector[k] = (float) r.nextGaussian();
        }
        row.itemId(itemId(i)).category(r.nextInt(500)).inStock(r.nextInt(10) != 0)
                .createdAtMs(1_700_000_000_000L + r.nextInt(1_000_000_000)).embedding(vector, 0);
        for (final int off : floatOffsets) {
            row.putFloat(off, (float) r.nextDouble());
        }
        for (final int off : intOffsets) {
            row.putInt(off, r.nextInt(10_000));
        }
        for (final int off : longOffsets) {
            row.putLong(off, r.nextLong(1L << 40));
        }
    }

    /** Fills the staged user row for user {@code u}. */
    public void fillUser(final UserRowFlyweight row, final int u, final int itemCount) {
        final SplittableRandom r = new SplittableRandom(u * 0xC2B2AE3D27D4EB4FL + 1);
        for (int k = 0; k < vector.length; k++) {
            vector[k] = (float) r.nextGaussian();
        }
        row.embedding(vector);
        for (int k = 0; k < RECENT_PER_USER; k++) {
            row.recordInteraction(r.nextInt(itemCount), 1_700_000_000_000L + k, 1f, 1f);
        }
    }

    /** The schema this generator fills. */
    public FeatureSchema schema() {
        return schema;
    }
}
