package io.funnel.codecs;

import java.util.Locale;

/** Kinds of feedback event, with the default weight each contributes to popularity and co-visitation. */
public enum EventType {
    VIEW(0.2f),
    CLICK(1f),
    LIKE(2f),
    PURCHASE(4f);

    private static final EventType[] VALUES = values();
    private final float weight;

    EventType(final float weight) {
        this.weight = weight;
    }

    /** Default weight of one event of this type. */
    public float weight() {
        return weight;
    }

    /** Lower-case name as used on the wire. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Type with ordinal {@code code}. */
    public static EventType ofCode(final int code) {
        return VALUES[code];
    }

    /**
     * Parses a wire name ({@code view}, {@code click}, {@code like}, {@code purchase}); ratings files map to these
     * through their own readers.
     *
     * @return the type, or {@code null} if the name is unknown
     */
    public static EventType parse(final String name) {
        return switch (name) {
            case "view" -> VIEW;
            case "click" -> CLICK;
            case "like" -> LIKE;
            case "purchase" -> PURCHASE;
            default -> null;
        };
    }
}
