package io.funnel.codecs.binary;

/**
 * A decoded {@code Error} frame.
 *
 * @param status  HTTP-like status: 400 bad request, 413 too large, 422 unknown reference, 500 internal, 503
 *                overloaded, 505 unsupported version
 * @param field   the offending field as a JSON path ({@code count}, {@code events[3].itemId},
 *                {@code header.version}), or {@code null}
 * @param message what was expected and what arrived
 */
public record ErrorReply(int status, String field, String message) {}
