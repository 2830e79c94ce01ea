package io.funnel.features;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The feature schema: for each entity ({@code user}, {@code item}) an ordered list of typed features, and from it a
 * fixed binary row layout per entity ({@link #itemLayout()}, {@link #userLayout()}) identified by a
 * {@link #fingerprint()}. A store remembers the schema it was written under; opening it under another one fails with
 * a {@link SchemaMismatchException} naming every difference, or migrates when only features were added or removed.
 *
 * <p>Built-in features the store itself reads and writes must be present with these types: {@code item.embedding}
 * ({@code float_vector}), {@code item.category} ({@code category} or {@code int}), {@code item.in_stock}
 * ({@code int}), {@code item.created_at_ms} ({@code timestamp}), {@code user.embedding} ({@code float_vector}, same
 * dim), {@code user.recent_items} ({@code id_list}, length 1..{@value UserRow#MAX_RECENT}). Every other feature is an
 * "extra" and lands in {@link ItemColumns#extraFloats()} / {@link ItemColumns#extraLongs()}.
 *
 * <p>Immutable and thread-safe. Build one with {@link #builder()} or parse {@code config/features.yaml} with
 * {@link #parse(Path)}.
 */
public final class FeatureSchema {
    /** The two entities a schema describes. */
    public enum Entity {
        /** Per-user rows, keyed by external user id. */
        USER,
        /** Per-item rows, addressed by dense item ordinal. */
        ITEM;

        /** The YAML spelling. */
        public String yamlName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** One declared feature: entity, name, type, width (dim or length, 1 for scalars) and default value. */
    public record Feature(Entity entity, String name, FeatureType type, int width, double defaultValue) {
        /** Bytes this feature takes in a row. */
        public int sizeBytes() {
            if (entity == Entity.USER && type == FeatureType.ID_LIST && name.equals(RECENT_ITEMS)) {
                return 12 * width; // ring: width timestamps (long) then width ordinals (int)
            }
            return type.sizeBytes(width);
        }

        String canonical() {
            return entity.yamlName() + "." + name + " " + type.yamlName() + " " + width;
        }
    }

    /** Name of the built-in embedding feature (items and users). */
    public static final String EMBEDDING = "embedding";
    /** Name of the built-in item category feature. */
    public static final String CATEGORY = "category";
    /** Name of the built-in item stock flag feature. */
    public static final String IN_STOCK = "in_stock";
    /** Name of the built-in item creation time feature. */
    public static final String CREATED_AT_MS = "created_at_ms";
    /** Name of the built-in user recent-items ring. */
    public static final String RECENT_ITEMS = "recent_items";

    private final int version;
    private final List<Feature> features;
    private final RowLayout itemLayout;
    private final RowLayout userLayout;
    private final long fingerprint;
    private final String source;

    private FeatureSchema(final int version, final List<Feature> features, final String source) {
        this.version = version;
        this.features = List.copyOf(features);
        this.source = source;
        this.itemLayout = new RowLayout(Entity.ITEM, this.features);
        this.userLayout = new RowLayout(Entity.USER, this.features);
        this.fingerprint = fnv64(layoutText());
    }

    /** Declared schema version ({@code schema_version} in YAML); informational, the layout is the fingerprint. */
    public int version() {
        return version;
    }

    /** All features in declaration order. */
    public List<Feature> features() {
        return features;
    }

    /** Embedding dimension shared by users and items. */
    public int dimension() {
        return itemLayout.width(EMBEDDING);
    }

    /** Length of the user recent-items ring. */
    public int recentLength() {
        return userLayout.width(RECENT_ITEMS);
    }

    /** Binary layout of an item row. */
    public RowLayout itemLayout() {
        return itemLayout;
    }

    /** Binary layout of a user row. */
    public RowLayout userLayout() {
        return userLayout;
    }

    /** A 64-bit hash of everything that shapes the row layouts (entity, name, type, width and order of features). */
    public long fingerprint() {
        return fingerprint;
    }

    /** Where this schema came from (a file path or "builder"), for error messages. */
    public String source() {
        return source;
    }

    private String layoutText() {
        final StringBuilder sb = new StringBuilder();
        for (final Feature f : features) {
            sb.append(f.canonical()).append('\n');
        }
        return sb.toString();
    }

    /**
     * A canonical YAML rendering of this schema; {@link #parse(String, String)} of it gives back an equal schema.
     * Stores keep it beside their files as {@code schema.yaml}.
     */
    public String toYaml() {
        final StringBuilder sb = new StringBuilder();
        sb.append("# layout fingerprint ").append(Long.toHexString(fingerprint)).append('\n');
        sb.append("schema_version: ").append(version).append('\n');
        sb.append("features:\n");
        for (final Feature f : features) {
            sb.append("  - {entity: ").append(f.entity().yamlName()).append(", name: ").append(f.name())
                    .append(", type: ").append(f.type().yamlName());
            if (f.type() == FeatureType.FLOAT_VECTOR) {
                sb.append(", dim: ").append(f.width());
            } else if (f.type() == FeatureType.ID_LIST) {
                sb.append(", length: ").append(f.width());
            }
            sb.append(", default: ").append(formatDefault(f)).append("}\n");
        }
        return sb.toString();
    }

    private static String formatDefault(final Feature f) {
        final double d = f.defaultValue();
        return d == Math.rint(d) && !Double.isInfinite(d) ? Long.toString((long) d) : Double.toString(d);
    }

    /**
     * Lists the layout differences between a store written under {@code stored} and this schema, one line each; an
     * empty list means the layouts are identical.
     */
    public List<String> differencesFrom(final FeatureSchema stored) {
        final List<String> out = new ArrayList<>();
        if (stored.fingerprint == fingerprint) {
            return out;
        }
        final Map<String, Feature> old = index(stored.features);
        final Map<String, Feature> now = index(features);
        for (final Map.Entry<String, Feature> e : old.entrySet()) {
            final Feature n = now.get(e.getKey());
            final Feature o = e.getValue();
            if (n == null) {
                out.add(describe(o) + " is in the store but not in " + source);
            } else if (n.type() != o.type()) {
                out.add(describe(o) + ": type " + o.type().yamlName() + " in the store, " + n.type().yamlName()
                        + " in " + source);
            } else if (n.width() != o.width()) {
                out.add(describe(o) + ": " + (o.type() == FeatureType.ID_LIST ? "length " : "dim ") + o.width()
                        + " in the store, " + n.width() + " in " + source);
            }
        }
        for (final Map.Entry<String, Feature> e : now.entrySet()) {
            if (!old.containsKey(e.getKey())) {
                out.add(describe(e.getValue()) + " is in " + source + " but not in the store");
            }
        }
        if (out.isEmpty()) {
            out.add("the same features are declared in another order (schema_version " + stored.version + " in the"
                    + " store, " + version + " in " + source + ")");
        }
        return out;
    }

    /** Whether rows written under {@code stored} can be rewritten into this layout without losing a kept value. */
    public boolean canMigrateFrom(final FeatureSchema stored) {
        final Map<String, Feature> now = index(features);
        for (final Feature o : stored.features) {
            final Feature n = now.get(o.entity().yamlName() + "." + o.name());
            if (n != null && (n.type() != o.type() || n.width() != o.width())) {
                return false;
            }
        }
        return true;
    }

    private static String describe(final Feature f) {
        return f.entity().yamlName() + " feature '" + f.name() + "'";
    }

    private static Map<String, Feature> index(final List<Feature> list) {
        final Map<String, Feature> m = new LinkedHashMap<>();
        for (final Feature f : list) {
            m.put(f.entity().yamlName() + "." + f.name(), f);
        }
        return m;
    }

    @Override
    public boolean equals(final Object o) {
        return o instanceof FeatureSchema s && s.fingerprint == fingerprint && s.version == version
                && s.features.equals(features);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(fingerprint);
    }

    @Override
    public String toString() {
        return "FeatureSchema{version=" + version + ", fingerprint=" + Long.toHexString(fingerprint) + ", features="
                + features.size() + "}";
    }

    private static long fnv64(final String s) {
        long h = 0xcbf29ce484222325L;
        for (final byte b : s.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        return h;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Parsing

    /** Parses a schema file ({@code config/features.yaml}); errors name the file, the feature and the key. */
    public static FeatureSchema parse(final Path file) {
        final String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (final IOException e) {
            throw new FeatureStoreException("cannot read feature schema " + file + ": " + e.getMessage(), e);
        }
        return parse(text, file.toString());
    }

    /**
     * Parses schema YAML. The document has {@code schema_version} (an int) and {@code features}, a list of maps with
     * {@code entity} (user|item), {@code name}, {@code type} (float|int|long|category|float_vector|id_list|timestamp),
     * {@code dim} (float_vector), {@code length} (id_list) and an optional numeric {@code default}.
     *
     * @param source named in error messages (usually the file path)
     */
    public static FeatureSchema parse(final String yaml, final String source) {
        final JsonNode root;
        try {
            root = new ObjectMapper(new YAMLFactory()).readTree(yaml);
        } catch (final IOException e) {
            throw new FeatureStoreException(source + ": not valid YAML: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new FeatureStoreException(source + ": expected a map with schema_version and features");
        }
        final Builder b = builder().source(source);
        final JsonNode v = root.get("schema_version");
        if (v != null) {
            if (!v.canConvertToInt() || !v.isIntegralNumber()) {
                throw new FeatureStoreException(source + ": schema_version must be an integer, got " + v);
            }
            b.version(v.intValue());
        }
        final JsonNode list = root.get("features");
        if (list == null || !list.isArray()) {
            throw new FeatureStoreException(source + ": 'features' must be a list of {entity, name, type, ...}");
        }
        for (final Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            final String key = it.next();
            if (!key.equals("schema_version") && !key.equals("features")) {
                throw new FeatureStoreException(source + ": unknown key '" + key + "' (expected schema_version,"
                        + " features)");
            }
        }
        for (int i = 0; i < list.size(); i++) {
            final JsonNode n = list.get(i);
            final String where = source + ": features[" + i + "]";
            if (!n.isObject()) {
                throw new FeatureStoreException(where + ": expected a map, got " + n);
            }
            for (final Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
                final String key = it.next();
                if (!List.of("entity", "name", "type", "dim", "length", "default").contains(key)) {
                    throw new FeatureStoreException(where + ": unknown key '" + key
                            + "' (expected entity, name, type, dim, length, default)");
                }
            }
            final String entityText = text(n, "entity", where);
            final String name = text(n, "name", where);
            final String typeText = text(n, "type", where);
            final String at = where + " (" + entityText + "." + name + ")";
            final Entity entity;
            if (entityText.equals("user")) {
                entity = Entity.USER;
            } else if (entityText.equals("item")) {
                entity = Entity.ITEM;
            } else {
                throw new FeatureStoreException(at + ": entity must be user or item, got '" + entityText + "'");
            }
            final FeatureType type = FeatureType.fromYaml(typeText);
            if (type == null) {
                throw new FeatureStoreException(at + ": unknown type '" + typeText + "' (expected one of "
                        + Arrays.stream(FeatureType.values()).map(FeatureType::yamlName).toList() + ")");
            }
            int width = 1;
            final String widthKey = type == FeatureType.FLOAT_VECTOR ? "dim" : "length";
            if (type.hasWidth()) {
                final JsonNode w = n.get(widthKey);
                if (w == null || !w.isIntegralNumber()) {
                    throw new FeatureStoreException(at + ": " + type.yamlName() + " needs an integer '" + widthKey
                            + "'");
                }
                width = w.intValue();
            } else if (n.has("dim") || n.has("length")) {
                throw new FeatureStoreException(at + ": '" + (n.has("dim") ? "dim" : "length") + "' only applies to "
                        + "float_vector (dim) and id_list (length), not " + type.yamlName());
            }
            double def = 0;
            final JsonNode d = n.get("default");
            if (d != null && !d.isNull()) {
                if (!d.isNumber()) {
                    throw new FeatureStoreException(at + ": default must be a number, got " + d);
                }
                def = d.doubleValue();
            }
            try {
                b.feature(entity, name, type, width, def);
            } catch (final IllegalArgumentException e) {
                throw new FeatureStoreException(at + ": " + e.getMessage(), e);
            }
        }
        return b.build();
    }

    private static String text(final JsonNode n, final String key, final String where) {
        final JsonNode v = n.get(key);
        if (v == null || !v.isTextual() || v.asText().isBlank()) {
            throw new FeatureStoreException(where + ": '" + key + "' is required and must be a string");
        }
        return v.asText();
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Builder

    /** Starts a schema; {@link Builder#build()} validates it. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The schema used when none is configured: 64-d embeddings, the built-in item and user features and a 64-long
     * recent-items ring.
     */
    public static FeatureSchema defaultSchema(final int dimension) {
        return builder().version(1).source("default schema")
                .item(EMBEDDING, FeatureType.FLOAT_VECTOR, dimension, 0)
                .item(CATEGORY, FeatureType.CATEGORY, 1, 0)
                .item(IN_STOCK, FeatureType.INT, 1, 1)
                .item(CREATED_AT_MS, FeatureType.TIMESTAMP, 1, 0)
                .user(EMBEDDING, FeatureType.FLOAT_VECTOR, dimension, 0)
                .user(RECENT_ITEMS, FeatureType.ID_LIST, UserRow.MAX_RECENT, 0)
                .build();
    }

    /** Collects features; not thread-safe. */
    public static final class Builder {
        private int version = 1;
        private String source = "builder";
        private final List<Feature> features = new ArrayList<>();

        private Builder() {}

        /** Sets the declared schema version (default 1). */
        public Builder version(final int v) {
            this.version = v;
            return this;
        }

        /** Names where the schema comes from in error messages. */
        public Builder source(final String s) {
            this.source = s;
            return this;
        }

        /** Adds an item feature. */
        public Builder item(final String name, final FeatureType type, final int width, final double defaultValue) {
            return feature(Entity.ITEM, name, type, width, defaultValue);
        }

        /** Adds a user feature. */
        public Builder user(final String name, final FeatureType type, final int width, final double defaultValue) {
            return feature(Entity.USER, name, type, width, defaultValue);
        }

        /** Adds a feature; {@code width} is the dim of a float_vector, the length of an id_list, else 1. */
        public Builder feature(
                final Entity entity, final String name, final FeatureType type, final int width, final double def) {
            if (name == null || !name.matches("[a-z][a-z0-9_]*")) {
                throw new IllegalArgumentException("feature name must match [a-z][a-z0-9_]*, got '" + name + "'");
            }
            if (type.hasWidth() ? (width < 1 || width > 4096) : width != 1) {
                throw new IllegalArgumentException(type.hasWidth()
                        ? (type == FeatureType.FLOAT_VECTOR ? "dim" : "length") + " must be 1..4096, got " + width
                        : "width must be 1 for " + type.yamlName() + ", got " + width);
            }
            if ((type == FeatureType.INT || type == FeatureType.CATEGORY || type == FeatureType.LONG
                    || type == FeatureType.TIMESTAMP) && def != Math.rint(def)) {
                throw new IllegalArgumentException("default of a " + type.yamlName() + " must be integral, got " + def);
            }
            for (final Feature f : features) {
                if (f.entity() == entity && f.name().equals(name)) {
                    throw new IllegalArgumentException("duplicate " + entity.yamlName() + " feature '" + name + "'");
                }
            }
            features.add(new Feature(entity, name, type, width, def));
            return this;
        }

        /** Validates the built-in features and computes the layouts. */
        public FeatureSchema build() {
            final Feature itemEmb = require(Entity.ITEM, EMBEDDING, FeatureType.FLOAT_VECTOR);
            require(Entity.ITEM, CATEGORY, FeatureType.CATEGORY, FeatureType.INT);
            require(Entity.ITEM, IN_STOCK, FeatureType.INT);
            require(Entity.ITEM, CREATED_AT_MS, FeatureType.TIMESTAMP, FeatureType.LONG);
            final Feature userEmb = require(Entity.USER, EMBEDDING, FeatureType.FLOAT_VECTOR);
            final Feature recent = require(Entity.USER, RECENT_ITEMS, FeatureType.ID_LIST);
            if (userEmb.width() != itemEmb.width()) {
                throw new FeatureStoreException(source + ": user.embedding has dim " + userEmb.width()
                        + " but item.embedding has dim " + itemEmb.width() + "; they must match");
            }
            if (recent.width() > UserRow.MAX_RECENT) {
                throw new FeatureStoreException(source + ": user.recent_items length must be 1.." + UserRow.MAX_RECENT
                        + ", got " + recent.width());
            }
            return new FeatureSchema(version, features, source);
        }

        private Feature require(final Entity e, final String name, final FeatureType... types) {
            for (final Feature f : features) {
                if (f.entity() == e && f.name().equals(name)) {
                    if (!Arrays.asList(types).contains(f.type())) {
                        throw new FeatureStoreException(source + ": " + e.yamlName() + "." + name + " must have type "
                                + Arrays.stream(types).map(FeatureType::yamlName).toList() + ", got "
                                + f.type().yamlName());
                    }
                    return f;
                }
            }
            throw new FeatureStoreException(source + ": the built-in feature " + e.yamlName() + "." + name + " ("
                    + types[0].yamlName() + ") is missing");
        }
    }
}
