package io.funnel.engine.data;

import java.util.Locale;

/** The interaction-log formats Funnel reads. */
public enum DatasetFormat {
    /**
     * A folder written by {@code funnel generate}: {@code items.csv} ({@code item_id,category,in_stock,
     * created_at_ms,creator_id}, every column but the id optional) and {@code interactions.csv}.
     */
    GENERATED,
    /** MovieLens 100K: {@code u.data} (tab-separated user, item, rating, seconds) with {@code u.item} beside it. */
    MOVIELENS,
    /**
     * Generic CSV with a header: {@code user_id,item_id} and either {@code timestamp_ms} or {@code timestamp}
     * (seconds), optional {@code type} (view, click, like, purchase) or {@code rating} (>= 4 counts as a like).
     */
    CSV;

    /** Parses {@code generated}, {@code movielens} or {@code csv}. */
    public static DatasetFormat parse(final String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "generated" -> GENERATED;
            case "movielens", "ml" -> MOVIELENS;
            case "csv" -> CSV;
            default -> throw new IllegalArgumentException(
                    "format must be one of generated, movielens, csv, got '" + name + "'");
        };
    }
}
