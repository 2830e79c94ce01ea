package io.funnel.features;

/**
 * An unexpected failure of the feature store: a file that cannot be opened or mapped, a store written under another
 * schema, a full table. Expected outcomes (an unknown user) are return values, not exceptions.
 */
public class FeatureStoreException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Creates an exception with a message that names the file, setting or field at fault. */
    public FeatureStoreException(final String message) {
        super(message);
    }

    /** Creates an exception with a message and a cause. */
    public FeatureStoreException(final String message, final Throwable cause) {
        super(message, cause);
    }
}
