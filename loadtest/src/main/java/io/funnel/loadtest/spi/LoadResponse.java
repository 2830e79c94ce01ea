package io.funnel.loadtest.spi;

/**
 * A driver's answer to one {@link LoadRequest}. Read on the thread that received it; the text is decoded only when
 * a check asks for it.
 */
public interface LoadResponse {
    /** How the request ended. */
    Outcome outcome();

    /** The protocol's status code (HTTP status), or 0 when there was no answer. */
    int status();

    /** The answer as text (JSON over HTTP), or a short reason when there was no answer; never null. */
    String text();

    /** A response that carries only an outcome and a reason, for failures without an answer. */
    static LoadResponse failed(final Outcome outcome, final String reason) {
        return new LoadResponse() {
            @Override
            public Outcome outcome() {
                return outcome;
            }

            @Override
            public int status() {
                return 0;
            }

            @Override
            public String text() {
                return reason;
            }
        };
    }
}
