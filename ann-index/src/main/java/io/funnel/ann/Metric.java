package io.funnel.ann;

/**
 * How two vectors are compared. Every index reports a <em>score</em> where higher is better, so callers never need
 * to know whether a metric is a distance or a similarity.
 */
public enum Metric {
    /** Squared Euclidean distance; the score is its negation. */
    L2,
    /** Inner (dot) product; the score is the product itself. */
    INNER_PRODUCT,
    /** Cosine similarity; vectors are normalised on insert and queries on search. */
    COSINE;

    /**
     * Parses a metric name as written in config and on the command line: {@code l2}, {@code ip} or
     * {@code inner_product}, {@code cosine}.
     *
     * @throws IllegalArgumentException naming the bad value and the accepted ones
     */
    public static Metric parse(final String name) {
        return switch (name.toLowerCase(java.util.Locale.ROOT)) {
            case "l2", "euclidean" -> L2;
            case "ip", "inner_product", "dot" -> INNER_PRODUCT;
            case "cosine", "cos" -> COSINE;
            default -> throw new IllegalArgumentException("metric must be one of l2, ip, cosine, got '" + name + "'");
        };
    }
}
