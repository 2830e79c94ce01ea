package io.funnel.features;

import java.nio.file.Path;

/** Schemas shared by the tests: small embeddings, one extra feature of every type. */
final class TestSchemas {
    static final int DIM = 8;

    private TestSchemas() {}

    static FeatureSchema.Builder base() {
        return FeatureSchema.builder().version(1).source("test schema")
                .item(FeatureSchema.EMBEDDING, FeatureType.FLOAT_VECTOR, DIM, 0)
                .item(FeatureSchema.CATEGORY, FeatureType.CATEGORY, 1, 0)
                .item(FeatureSchema.IN_STOCK, FeatureType.INT, 1, 1)
                .item(FeatureSchema.CREATED_AT_MS, FeatureType.TIMESTAMP, 1, 0)
                .user(FeatureSchema.EMBEDDING, FeatureType.FLOAT_VECTOR, DIM, 0)
                .user(FeatureSchema.RECENT_ITEMS, FeatureType.ID_LIST, 16, 0);
    }

    static FeatureSchema withExtras() {
        return base()
                .item("price", FeatureType.FLOAT, 1, 9.5)
                .item("rating_count", FeatureType.INT, 1, 3)
                .item("seller_id", FeatureType.LONG, 1, 77)
                .item("brand", FeatureType.CATEGORY, 1, 0)
                .item("tags", FeatureType.ID_LIST, 3, 0)
                .item("thumb", FeatureType.FLOAT_VECTOR, 2, 0.25)
                .item("updated_at", FeatureType.TIMESTAMP, 1, 0)
                .user("country", FeatureType.CATEGORY, 1, 0)
                .build();
    }

    /** The repository's config/features.yaml, found next to config/jvm.options. */
    static Path configFeaturesYaml() {
        final String opts = System.getProperty("funnel.jvm.options.file");
        return opts != null ? Path.of(opts).resolveSibling("features.yaml") : Path.of("../config/features.yaml");
    }

    static float[] vector(final int seed) {
        final float[] v = new float[DIM];
        for (int i = 0; i < DIM; i++) {
            v[i] = seed + i / 10f;
        }
        return v;
    }
}
