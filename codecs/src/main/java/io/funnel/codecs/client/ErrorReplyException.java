package io.funnel.codecs.client;

import io.funnel.codecs.binary.ErrorReply;

/** The server answered a request with an {@code Error} frame; {@link #reply()} says what and which field. */
public final class ErrorReplyException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final transient ErrorReply reply;

    public ErrorReplyException(final ErrorReply reply) {
        super(reply.status() + (reply.field() == null ? "" : " " + reply.field()) + ": " + reply.message(), null,
                false, false);
        this.reply = reply;
    }

    /** The decoded error: status (400, 413, 422, 500, 503, 505), field (a JSON path or null), message. */
    public ErrorReply reply() {
        return reply;
    }

    /** HTTP-like status: 400 bad request, 413 too large, 422 unknown reference, 500, 503 overloaded, 505 version. */
    public int status() {
        return reply.status();
    }

    /** The offending field as a JSON path, or {@code null}. */
    public String field() {
        return reply.field();
    }
}
