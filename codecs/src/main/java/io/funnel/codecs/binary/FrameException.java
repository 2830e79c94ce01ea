package io.funnel.codecs.binary;

import io.funnel.codecs.BadInputException;

/**
 * A binary frame that cannot be read: the one exception type the framing and message decoders throw, besides the
 * plain {@link BadInputException} for readable messages with bad field values (this class extends it, so catching
 * {@link BadInputException} catches both). Cheap: no stack trace.
 */
public final class FrameException extends BadInputException {
    private static final long serialVersionUID = 1L;
    private final transient FrameError error;
    private final long correlationId;

    /**
     * @param error         what went wrong
     * @param correlationId the frame's correlation id when it could be read, otherwise 0
     * @param field         what was at fault, e.g. {@code frame.length} or {@code header.schemaId}
     * @param message       what was expected and what arrived
     */
    public FrameException(final FrameError error, final long correlationId, final String field, final String message) {
        super(error.status(), field, message);
        this.error = error;
        this.correlationId = correlationId;
    }

    /** What went wrong. */
    public FrameError error() {
        return error;
    }

    /** The correlation id of the offending frame, or 0 when it could not be read. */
    public long correlationId() {
        return correlationId;
    }
}
