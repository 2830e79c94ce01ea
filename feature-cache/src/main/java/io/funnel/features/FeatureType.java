package io.funnel.features;

/**
 * The value type of one feature in a {@link FeatureSchema}. Every type has a fixed size in a row, so a schema maps to
 * a fixed binary row layout.
 */
public enum FeatureType {
    /** A 32-bit IEEE float. */
    FLOAT("float", 4, 4),
    /** A 32-bit signed integer. */
    INT("int", 4, 4),
    /** A 64-bit signed integer. */
    LONG("long", 8, 8),
    /** A categorical value stored as a 32-bit id. */
    CATEGORY("category", 4, 4),
    /** A vector of {@code dim} 32-bit floats. */
    FLOAT_VECTOR("float_vector", 4, 4),
    /** Up to {@code length} 64-bit ids, preceded by a 32-bit count (and 32 bits of padding). */
    ID_LIST("id_list", 8, 8),
    /** Epoch milliseconds as a 64-bit integer. */
    TIMESTAMP("timestamp", 8, 8);

    private final String yamlName;
    private final int elementBytes;
    private final int alignment;

    FeatureType(final String yamlName, final int elementBytes, final int alignment) {
        this.yamlName = yamlName;
        this.elementBytes = elementBytes;
        this.alignment = alignment;
    }

    /** The spelling used in {@code features.yaml}. */
    public String yamlName() {
        return yamlName;
    }

    /** Alignment of the value in a row, in bytes. */
    public int alignment() {
        return alignment;
    }

    /** Bytes the value takes in a row for the given {@code width} (dim or length; 1 for scalars). */
    public int sizeBytes(final int width) {
        return this == ID_LIST ? 8 + elementBytes * width : elementBytes * width;
    }

    /** Whether values land in the float family of extra columns (see {@link ItemColumns#extraFloats()}). */
    public boolean isFloatFamily() {
        return this == FLOAT || this == FLOAT_VECTOR;
    }

    /** Whether the type takes a width ({@code dim} or {@code length}). */
    public boolean hasWidth() {
        return this == FLOAT_VECTOR || this == ID_LIST;
    }

    /** Parses the YAML spelling, or returns {@code null} if unknown. */
    public static FeatureType fromYaml(final String name) {
        for (final FeatureType t : values()) {
            if (t.yamlName.equals(name)) {
                return t;
            }
        }
        return null;
    }
}
