package io.funnel.loadtest;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations as written on the command line and in simulation files: {@code 250us}, {@code 5ms}, {@code 10s}, {@code 2m}. */
public final class DurationText {
    private static final Pattern FORM = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ns|us|µs|ms|s|m|h)");

    private DurationText() {}

    /**
     * Parses a non-negative duration with a unit.
     *
     * @param where names the option or the file field, for the error message
     * @throws IllegalArgumentException naming {@code where} when the text is not a duration with a unit
     */
    public static Duration parse(final String text, final String where) {
        final Matcher m = FORM.matcher(text == null ? "" : text.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException(where + ": expected a duration with a unit (250us, 5ms, 10s, 2m), got '"
                    + text + "'");
        }
        final double value = Double.parseDouble(m.group(1));
        final double nanosPerUnit = switch (m.group(2)) {
            case "ns" -> 1;
            case "us", "µs" -> 1e3;
            case "ms" -> 1e6;
            case "s" -> 1e9;
            case "m" -> 60e9;
            default -> 3600e9;
        };
        return Duration.ofNanos(Math.round(value * nanosPerUnit));
    }

    /** A duration as the shortest readable text ({@code 1.5s}, {@code 250ms}). */
    public static String format(final Duration d) {
        final long ns = d.toNanos();
        if (ns % 1_000_000_000L == 0) {
            return ns / 1_000_000_000L + "s";
        }
        if (ns % 1_000_000L == 0) {
            return ns / 1_000_000L + "ms";
        }
        return ns / 1_000 + "us";
    }
}
