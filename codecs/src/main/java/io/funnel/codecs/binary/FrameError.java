package io.funnel.codecs.binary;

/**
 * Why a binary frame could not be read, as counted in metrics ({@code funnel_errors_total{kind="binary_<name>"}})
 * and answered on the wire. Frame errors are about the envelope (length prefix, message header, sizes); a frame that
 * is well formed but carries bad values (a {@code count} of 0, an unknown item) is a plain
 * {@link io.funnel.codecs.BadInputException} naming the field instead.
 */
public enum FrameError {
    /**
     * The length prefix (an unsigned 32-bit value) is larger than the configured maximum frame size: the stream
     * cannot be resynchronised.
     */
    OVERSIZE_LENGTH("oversize_frame", 413, true),
    /** The length prefix is smaller than a message header (garbage): the stream cannot be resynchronised. */
    BAD_LENGTH("bad_length", 400, true),
    /** The message header names another schema id: the peer does not speak this protocol (garbage header). */
    WRONG_SCHEMA("wrong_schema", 400, true),
    /** The schema version is older than the oldest this side reads ({@link BinaryCodec#MIN_VERSION}). */
    UNSUPPORTED_VERSION("unsupported_version", 505, false),
    /** A template id this side does not read: unknown, or a message that only travels the other way. */
    UNKNOWN_TEMPLATE("unknown_template", 400, false),
    /** Block lengths, group sizes or string lengths point past the end of the frame, or bytes are left over. */
    MALFORMED("malformed", 400, false),
    /** The connection closed in the middle of a frame; there is nobody to answer, it is only counted. */
    TRUNCATED_FRAME("truncated_frame", 400, true);

    private final String metricName;
    private final int status;
    private final boolean closesConnection;

    FrameError(final String metricName, final int status, final boolean closesConnection) {
        this.metricName = metricName;
        this.status = status;
        this.closesConnection = closesConnection;
    }

    /** Lower-case name used in metrics, e.g. {@code oversize_frame}. */
    public String metricName() {
        return metricName;
    }

    /** HTTP-like status sent in the {@code Error} frame (400, 413, 505). */
    public int status() {
        return status;
    }

    /**
     * Whether the connection must be closed after answering: the frame boundary is lost (length prefix) or the peer
     * does not speak this protocol (schema id), so nothing after this frame can be trusted.
     */
    public boolean closesConnection() {
        return closesConnection;
    }
}
