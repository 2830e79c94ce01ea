package io.funnel.codecs;

/**
 * Bad input from outside (a request, an event, a file): carries the offending field and a message that says what was
 * expected and what arrived. Thrown by decoders and turned into a 4xx by the server. It has no stack trace: it is an
 * expected outcome, and cheap to create.
 */
public class BadInputException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String field;
    private final int status;

    /** A 400 naming {@code field} (may be {@code null} when the whole body is at fault). */
    public BadInputException(final String field, final String message) {
        this(400, field, message);
    }

    /** An error with an explicit HTTP-style status (400, 413, 422). */
    public BadInputException(final int status, final String field, final String message) {
        super(message, null, false, false);
        this.field = field;
        this.status = status;
    }

    /** The offending field as a JSON path such as {@code events[3].type}, or {@code null}. */
    public String field() {
        return field;
    }

    /** HTTP-style status: 400 for malformed or invalid input, 413 for too large, 422 for unknown references. */
    public int status() {
        return status;
    }
}
