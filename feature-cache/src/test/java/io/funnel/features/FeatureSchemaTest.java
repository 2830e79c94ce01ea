package io.funnel.features;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class FeatureSchemaTest {
    @Test
    void yamlRoundTripGivesTheSameSchemaAndLayout() {
        final FeatureSchema s = TestSchemas.withExtras();
        final FeatureSchema back = FeatureSchema.parse(s.toYaml(), "round trip");
        assertEquals(s.features(), back.features());
        assertEquals(s.fingerprint(), back.fingerprint());
        assertEquals(s.itemLayout().rowBytes(), back.itemLayout().rowBytes());
        assertEquals(s.itemLayout().offset("price"), back.itemLayout().offset("price"));
    }

    @Test
    void configFeaturesYamlParsesWithSixteenItemScalars() {
        final FeatureSchema s = FeatureSchema.parse(TestSchemas.configFeaturesYaml());
        assertEquals(64, s.dimension());
        assertEquals(64, s.recentLength());
        final long scalars = s.itemLayout().features().stream().filter(f -> !f.type().hasWidth()).count();
        assertEquals(16, scalars);
        // 40-byte header + 256-byte embedding + 16 scalars (two of them 8 bytes) = 368 bytes, padded to 6 lines.
        assertEquals(384, s.itemLayout().rowBytes());
    }

    @Test
    void layoutPlacesFieldsAlignedAndWithoutOverlap() {
        final RowLayout l = TestSchemas.withExtras().itemLayout();
        int end = RowLayout.HEADER_BYTES;
        final List<FeatureSchema.Feature> byOffset = l.features().stream()
                .sorted((a, b) -> Integer.compare(l.offset(a.name()), l.offset(b.name()))).toList();
        for (final FeatureSchema.Feature f : byOffset) {
            final int off = l.offset(f.name());
            assertEquals(0, off % f.type().alignment(), f.name() + " aligned");
            assertTrue(off >= end, f.name() + " does not overlap the previous field");
            end = off + f.sizeBytes();
        }
        assertTrue(l.rowBytes() >= end);
        assertEquals(0, l.rowBytes() % 8);
        // Extras: floats (price, thumb[2]) and longs (rating_count, seller_id, brand, tags[3], updated_at).
        assertEquals(3, l.extraFloatWidth());
        assertEquals(7, l.extraLongWidth());
        assertEquals(-1, l.extraColumn(FeatureSchema.EMBEDDING));
    }

    @Test
    void fingerprintChangesWithTypeWidthAndOrder() {
        final long base = TestSchemas.withExtras().fingerprint();
        assertNotEquals(base, TestSchemas.base().item("price", FeatureType.INT, 1, 0).build().fingerprint());
        final FeatureSchema a = TestSchemas.base().item("x", FeatureType.FLOAT, 1, 0)
                .item("y", FeatureType.FLOAT, 1, 0).build();
        final FeatureSchema b = TestSchemas.base().item("y", FeatureType.FLOAT, 1, 0)
                .item("x", FeatureType.FLOAT, 1, 0).build();
        assertNotEquals(a.fingerprint(), b.fingerprint());
        assertFalse(a.differencesFrom(b).isEmpty());
    }

    @Test
    void differencesNameEachFeature() {
        final FeatureSchema stored = TestSchemas.base().item("price", FeatureType.FLOAT, 1, 0)
                .item("old", FeatureType.INT, 1, 0).build();
        final FeatureSchema now = TestSchemas.base().item("price", FeatureType.INT, 1, 0)
                .item("fresh", FeatureType.FLOAT, 1, 0).build();
        final List<String> d = now.differencesFrom(stored);
        assertTrue(d.contains("item feature 'price': type float in the store, int in test schema"), d.toString());
        assertTrue(d.contains("item feature 'old' is in the store but not in test schema"), d.toString());
        assertTrue(d.contains("item feature 'fresh' is in test schema but not in the store"), d.toString());
        assertFalse(now.canMigrateFrom(stored));
    }

    @Test
    void parseErrorsNameFileFeatureAndKey() {
        final String head = "schema_version: 1\nfeatures:\n"
                + "  - {entity: item, name: embedding, type: float_vector, dim: 4}\n";
        FeatureStoreException e = assertThrows(FeatureStoreException.class,
                () -> FeatureSchema.parse(head + "  - {entity: item, name: price, type: flaot}\n", "f.yaml"));
        assertTrue(e.getMessage().startsWith("f.yaml: features[1] (item.price): unknown type 'flaot'"),
                e.getMessage());
        e = assertThrows(FeatureStoreException.class,
                () -> FeatureSchema.parse(head + "  - {entity: item, name: v, type: float_vector}\n", "f.yaml"));
        assertTrue(e.getMessage().contains("features[1] (item.v): float_vector needs an integer 'dim'"),
                e.getMessage());
        e = assertThrows(FeatureStoreException.class,
                () -> FeatureSchema.parse(head + "  - {entity: shop, name: v, type: float}\n", "f.yaml"));
        assertTrue(e.getMessage().contains("entity must be user or item, got 'shop'"), e.getMessage());
        e = assertThrows(FeatureStoreException.class, () -> FeatureSchema.parse(head, "f.yaml"));
        assertTrue(e.getMessage().contains("built-in feature item.category (category) is missing"), e.getMessage());
        e = assertThrows(FeatureStoreException.class,
                () -> FeatureSchema.parse(head + "  - {entity: item, name: n, type: int, default: 1.5}\n", "f.yaml"));
        assertTrue(e.getMessage().contains("default of a int must be integral, got 1.5"), e.getMessage());
    }

    @Test
    void userAndItemEmbeddingsMustMatch() {
        final FeatureStoreException e = assertThrows(FeatureStoreException.class, () -> FeatureSchema.builder()
                .item(FeatureSchema.EMBEDDING, FeatureType.FLOAT_VECTOR, 8, 0)
                .item(FeatureSchema.CATEGORY, FeatureType.CATEGORY, 1, 0)
                .item(FeatureSchema.IN_STOCK, FeatureType.INT, 1, 1)
                .item(FeatureSchema.CREATED_AT_MS, FeatureType.TIMESTAMP, 1, 0)
                .user(FeatureSchema.EMBEDDING, FeatureType.FLOAT_VECTOR, 4, 0)
                .user(FeatureSchema.RECENT_ITEMS, FeatureType.ID_LIST, 8, 0).build());
        assertTrue(e.getMessage().contains("user.embedding has dim 4 but item.embedding has dim 8"), e.getMessage());
    }
}
