package io.funnel.loadtest;

import io.funnel.loadtest.spi.LoadResponse;

/**
 * A check on a successful answer. A failed check turns the request into an error of kind {@code check_failed}.
 * Runs on the driver's I/O thread: keep it cheap and stateless.
 */
@FunctionalInterface
public interface Check {
    /** {@code null} when the answer passes, otherwise why it does not. */
    String verify(LoadResponse response);

    /** The protocol status must be {@code expected}. */
    static Check status(final int expected) {
        return r -> r.status() == expected ? null : "status " + r.status() + ", expected " + expected;
    }

    /** The answer's text must contain {@code fragment}. */
    static Check contains(final String fragment) {
        return r -> r.text().contains(fragment) ? null : "answer does not contain '" + fragment + "'";
    }

    /**
     * A recommendation answer must hold at least {@code n} items (counted as {@code "itemId"} keys, without parsing
     * the JSON).
     */
    static Check minItems(final int n) {
        return r -> {
            final String text = r.text();
            int found = 0;
            for (int at = text.indexOf("\"itemId\""); at >= 0 && found < n; at = text.indexOf("\"itemId\"", at + 8)) {
                found++;
            }
            return found >= n ? null : found + " items, expected at least " + n;
        };
    }
}
