package io.funnel.model;

import java.nio.file.Path;

/**
 * An unexpected failure of the model runtime: a model that cannot be loaded (missing, corrupt or incompatible
 * files), a manifest that does not parse, a session call that fails. The message names the path and what is wrong.
 * Expected outcomes on the hot path (a full queue, a missed deadline) are not exceptions of this type; see
 * {@link BatchRejectedException}.
 */
public class ModelException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** @param message says what is wrong and where */
    public ModelException(final String message) {
        super(message);
    }

    /** @param message says what is wrong and where */
    public ModelException(final String message, final Throwable cause) {
        super(message, cause);
    }

    /** A failure about the file or directory {@code path}: the message starts with the path. */
    public static ModelException at(final Path path, final String what) {
        return new ModelException(path + ": " + what);
    }

    /** A failure about the file or directory {@code path}, caused by {@code cause}. */
    public static ModelException at(final Path path, final String what, final Throwable cause) {
        final String detail = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
        return new ModelException(path + ": " + what + " (" + detail.strip() + ")", cause);
    }
}
