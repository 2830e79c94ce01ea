package io.funnel.loadtest;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A pass/fail criterion on a run, parsed from text such as {@code p99<5ms}, {@code recommend.p99.9<=20ms},
 * {@code max<100ms}, {@code mean<2ms}, {@code errors<0.1%}, {@code errors<=5}, {@code throughput>900/s},
 * {@code requests>=1000}. An optional {@code <request>.} prefix narrows it to one request type; without it the
 * assertion is on every request together. Latencies need a unit ({@code us}, {@code ms}, {@code s}). Immutable.
 *
 * @param expression the text as given
 * @param request the request type, or {@code null} for all
 * @param metric what is compared
 * @param percentile the percentile (0..100) for {@link Metric#PERCENTILE}
 * @param op the comparison
 * @param threshold the right-hand side in the metric's unit: milliseconds, a ratio 0..1 for error percentages,
 *     a count, or requests per second
 */
public record Assertion(String expression, String request, Metric metric, double percentile, String op,
        double threshold) {
    private static final Pattern FORM = Pattern.compile(
            "(?:([a-z][a-z0-9_]*)\\.)?(p[0-9]+(?:\\.[0-9]+)?|max|mean|errors|throughput|rps|requests)"
                    + "\\s*(<=|>=|<|>)\\s*([0-9]+(?:\\.[0-9]+)?)\\s*(us|µs|ms|s|%|/s|rps)?");

    /** What an assertion compares. */
    public enum Metric {
        /** A latency percentile, milliseconds. */
        PERCENTILE,
        /** The largest latency, milliseconds. */
        MAX,
        /** The mean latency, milliseconds. */
        MEAN,
        /** The error count. */
        ERROR_COUNT,
        /** Errors over requests, 0..1. */
        ERROR_RATIO,
        /** Successful answers per second. */
        THROUGHPUT,
        /** Requests that ended (successes and errors). */
        REQUESTS
    }

    /** The verdict of one assertion on one run; {@code actual} is in the assertion's unit. */
    public record Result(Assertion assertion, double actual, boolean passed) {
        /** {@code "p99<5ms: 3.21ms"}, with PASS or FAIL. */
        public String describe() {
            return (passed ? "PASS " : "FAIL ") + assertion.expression() + "  (actual " + assertion.format(actual) + ")";
        }
    }

    /**
     * Parses one assertion.
     *
     * @throws IllegalArgumentException naming the expression and what is wrong with it
     */
    public static Assertion parse(final String text) {
        final String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT).replace(" ", "");
        final Matcher m = FORM.matcher(t);
        if (!m.matches()) {
            throw new IllegalArgumentException("bad assertion '" + text + "': expected [request.]metric op value, e.g."
                    + " p99<5ms, recommend.p99.9<20ms, max<100ms, errors<0.1%, throughput>900/s");
        }
        final String metricText = m.group(2);
        final String op = m.group(3);
        final double value = Double.parseDouble(m.group(4));
        final String unit = m.group(5);
        final boolean latency = metricText.startsWith("p") || "max".equals(metricText) || "mean".equals(metricText);
        if (latency) {
            if (unit == null || !(unit.equals("us") || unit.equals("µs") || unit.equals("ms") || unit.equals("s"))) {
                throw new IllegalArgumentException("bad assertion '" + text + "': a latency needs a unit (us, ms or s)");
            }
            final double ms = switch (unit) {
                case "s" -> value * 1000;
                case "ms" -> value;
                default -> value / 1000;
            };
            if (metricText.startsWith("p")) {
                return new Assertion(text.trim(), m.group(1), Metric.PERCENTILE, percentile(metricText, text), op, ms);
            }
            return new Assertion(text.trim(), m.group(1), "max".equals(metricText) ? Metric.MAX : Metric.MEAN, 0, op,
                    ms);
        }
        return switch (metricText) {
            case "errors" -> {
                if ("%".equals(unit)) {
                    if (value > 100) {
                        throw new IllegalArgumentException("bad assertion '" + text + "': a percentage is 0..100");
                    }
                    yield new Assertion(text.trim(), m.group(1), Metric.ERROR_RATIO, 0, op, value / 100);
                }
                requireNoUnit(unit, text);
                yield new Assertion(text.trim(), m.group(1), Metric.ERROR_COUNT, 0, op, value);
            }
            case "throughput", "rps" -> {
                if (unit != null && !unit.equals("/s") && !unit.equals("rps")) {
                    throw new IllegalArgumentException("bad assertion '" + text + "': throughput is per second (/s)");
                }
                yield new Assertion(text.trim(), m.group(1), Metric.THROUGHPUT, 0, op, value);
            }
            default -> {
                requireNoUnit(unit, text);
                yield new Assertion(text.trim(), m.group(1), Metric.REQUESTS, 0, op, value);
            }
        };
    }

    private static void requireNoUnit(final String unit, final String text) {
        if (unit != null) {
            throw new IllegalArgumentException("bad assertion '" + text + "': a count takes no unit, got '" + unit
                    + "'");
        }
    }

    /** {@code p50} → 50, {@code p999} → 99.9, {@code p9999} → 99.99, {@code p99.9} → 99.9. */
    private static double percentile(final String metric, final String text) {
        final String digits = metric.substring(1);
        final double q = digits.contains(".") || digits.length() <= 2 ? Double.parseDouble(digits)
                : Double.parseDouble(digits.substring(0, 2) + "." + digits.substring(2));
        if (!(q > 0 && q < 100)) {
            throw new IllegalArgumentException("bad assertion '" + text + "': percentile must be in (0, 100); use max"
                    + " for the largest value");
        }
        return q;
    }

    /**
     * Evaluates on {@code result}.
     *
     * @throws IllegalArgumentException when the assertion names a request type the run did not send
     */
    public Result evaluate(final RunResult result) {
        final RunResult.RequestStats s = request == null ? result.all() : result.request(request);
        if (s == null) {
            throw new IllegalArgumentException("assertion '" + expression + "': no request named '" + request
                    + "' in this run");
        }
        final double actual = switch (metric) {
            case PERCENTILE -> s.percentileMs(percentile);
            case MAX -> s.maxMs();
            case MEAN -> s.meanMs();
            case ERROR_COUNT -> s.errors();
            case ERROR_RATIO -> s.errorRatio();
            case THROUGHPUT -> result.measuredSeconds() > 0 ? s.ok() / result.measuredSeconds() : 0;
            case REQUESTS -> s.requests();
        };
        // A latency assertion on a run where nothing succeeded cannot pass.
        final boolean noLatency = (metric == Metric.PERCENTILE || metric == Metric.MAX || metric == Metric.MEAN)
                && s.ok() == 0;
        return new Result(this, actual, !noLatency && compare(actual));
    }

    private boolean compare(final double actual) {
        return switch (op) {
            case "<" -> actual < threshold;
            case "<=" -> actual <= threshold;
            case ">" -> actual > threshold;
            default -> actual >= threshold;
        };
    }

    /** {@code value} in this assertion's unit, as text. */
    public String format(final double value) {
        return switch (metric) {
            case PERCENTILE, MAX, MEAN -> String.format(Locale.ROOT, "%.3fms", value);
            case ERROR_RATIO -> String.format(Locale.ROOT, "%.4f%%", value * 100);
            case THROUGHPUT -> String.format(Locale.ROOT, "%.1f/s", value);
            default -> String.format(Locale.ROOT, "%.0f", value);
        };
    }
}
