package io.funnel.features;

import java.util.List;

/**
 * Thrown when a store is opened with a schema that differs from the one it was written under. The message lists
 * every difference ({@code item feature 'price': type float in the store, int in the config}).
 */
public final class SchemaMismatchException extends FeatureStoreException {
    private static final long serialVersionUID = 1L;

    private final transient List<String> differences;

    /** Creates the exception for {@code differences} found opening {@code where}. */
    public SchemaMismatchException(final String where, final List<String> differences, final boolean migratable) {
        super("store " + where + " was written under another feature schema: " + String.join("; ", differences)
                + (migratable
                        ? " (only additions/removals: open with migrate(true) to rewrite the rows)"
                        : " (not migratable: a kept feature changed type or width)"));
        this.differences = List.copyOf(differences);
    }

    /** One line per difference. */
    public List<String> differences() {
        return differences;
    }
}
