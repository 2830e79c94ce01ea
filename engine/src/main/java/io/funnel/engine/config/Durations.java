package io.funnel.engine.config;

import java.util.Locale;

/** Parses durations as written in config and on the command line: {@code 5ms}, {@code 800us}, {@code 2s}, {@code 1m}. */
public final class Durations {
    private Durations() {}

    /**
     * Parses a duration into microseconds. A bare number is microseconds.
     *
     * @throws ConfigException naming {@code source} and {@code key} if the text is not a positive duration
     */
    public static long parseMicros(final String text, final String source, final String key) {
        final String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        final long factor;
        final String number;
        if (t.endsWith("us") || t.endsWith("µs")) {
            factor = 1;
            number = t.substring(0, t.length() - 2);
        } else if (t.endsWith("ms")) {
            factor = 1_000;
            number = t.substring(0, t.length() - 2);
        } else if (t.endsWith("s")) {
            factor = 1_000_000;
            number = t.substring(0, t.length() - 1);
        } else if (t.endsWith("m")) {
            factor = 60_000_000;
            number = t.substring(0, t.length() - 1);
        } else {
            factor = 1;
            number = t;
        }
        final double value;
        try {
            value = Double.parseDouble(number.trim());
        } catch (final NumberFormatException e) {
            throw new ConfigException(source, key, "expected a duration such as 5ms, 800us or 2s, got '" + text + "'");
        }
        final long micros = Math.round(value * factor);
        if (!(value > 0) || micros <= 0) {
            throw new ConfigException(source, key, "must be a positive duration, got '" + text + "'");
        }
        return micros;
    }
}
