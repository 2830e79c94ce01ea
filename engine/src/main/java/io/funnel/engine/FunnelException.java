package io.funnel.engine;

/**
 * The one unchecked family for unexpected failures inside Funnel (a corrupt file discovered at run time, a bug, a
 * dependency that broke). Expected outcomes (bad input, a late channel) travel as status codes and degraded flags
 * instead. Counted and logged once with context by whoever catches it.
 */
public class FunnelException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public FunnelException(final String message) {
        super(message);
    }

    public FunnelException(final String message, final Throwable cause) {
        super(message, cause);
    }
}
