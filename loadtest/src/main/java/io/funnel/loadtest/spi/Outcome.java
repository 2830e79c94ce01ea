package io.funnel.loadtest.spi;

/** How a request ended, protocol-independent. Everything but {@link #OK} counts as an error, by kind. */
public enum Outcome {
    /** Answered with success (HTTP 2xx). */
    OK,
    /** The server refused the request as bad input (HTTP 4xx other than 429). */
    CLIENT_ERROR,
    /** The server shed load (HTTP 503 or 429). */
    OVERLOADED,
    /** The server failed (HTTP 5xx other than 503). */
    SERVER_ERROR,
    /** No answer within the request timeout. */
    TIMEOUT,
    /** No connection could be made. */
    CONNECT_ERROR,
    /** The connection failed or closed mid-request. */
    IO_ERROR,
    /** Answered, but a check of the scenario rejected the answer. */
    CHECK_FAILED,
    /**
     * Never sent: the harness already had its maximum of requests in flight. Counted so that an overloaded client
     * cannot hide a slow server by sending less.
     */
    NOT_SENT;

    /** Lower-case name for reports ({@code server_error}). */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
