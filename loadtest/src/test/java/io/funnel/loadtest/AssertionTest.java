package io.funnel.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.funnel.loadtest.spi.Outcome;
import java.util.List;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

class AssertionTest {
    /** 1000 successes at 1..1000 ms (so p99 = 990 ms), 5 timeouts, over 10 s. */
    static RunResult run() {
        final Histogram h = new Histogram(1_000, 3_600_000_000_000L, 3);
        for (int ms = 1; ms <= 1000; ms++) {
            h.recordValue(ms * 1_000_000L);
        }
        final long[] errors = new long[Outcome.values().length];
        errors[Outcome.TIMEOUT.ordinal()] = 5;
        final RunResult.RequestStats s = new RunResult.RequestStats("recommend", 1000, errors, h);
        return new RunResult("t", 0, 10, List.of(s), new RunResult.RequestStats("all", 1000, errors, h), List.of(),
                new Histogram(3), false);
    }

    @Test
    void parsesEveryForm() {
        final Assertion p99 = Assertion.parse("p99<5ms");
        assertEquals(Assertion.Metric.PERCENTILE, p99.metric());
        assertEquals(99, p99.percentile());
        assertEquals(5, p99.threshold());
        assertNull(p99.request());
        assertEquals(99.9, Assertion.parse("p999 < 20ms").percentile(), 1e-9);
        assertEquals(99.9, Assertion.parse("recommend.p99.9<=20ms").percentile(), 1e-9);
        assertEquals("recommend", Assertion.parse("recommend.p99.9<=20ms").request());
        assertEquals(99.99, Assertion.parse("p9999<1s").percentile(), 1e-9);
        assertEquals(1000, Assertion.parse("p9999<1s").threshold());
        assertEquals(0.25, Assertion.parse("max<250us").threshold(), 1e-12);
        assertEquals(0.001, Assertion.parse("errors<0.1%").threshold(), 1e-12);
        assertEquals(Assertion.Metric.ERROR_RATIO, Assertion.parse("errors<0.1%").metric());
        assertEquals(Assertion.Metric.ERROR_COUNT, Assertion.parse("errors<=5").metric());
        assertEquals(Assertion.Metric.THROUGHPUT, Assertion.parse("throughput>900/s").metric());
        assertEquals(">", Assertion.parse("throughput>900/s").op());
        assertEquals(Assertion.Metric.THROUGHPUT, Assertion.parse("rps>=900").metric());
        assertEquals(Assertion.Metric.REQUESTS, Assertion.parse("requests>=1000").metric());
        assertEquals(Assertion.Metric.MEAN, Assertion.parse("mean<2ms").metric());
    }

    private static void assertBad(final String expression, final String message) {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Assertion.parse(expression));
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }

    @Test
    void badExpressionsSayWhatIsWrong() {
        assertBad("p99<5", "needs a unit");
        assertBad("p99=5ms", "bad assertion 'p99=5ms'");
        assertBad("latency<5ms", "expected [request.]metric op value");
        assertBad("errors<150%", "0..100");
        assertBad("errors<5ms", "takes no unit");
        assertBad("p0<5ms", "percentile");
        assertThrows(IllegalArgumentException.class, () -> Assertion.parse(null));
    }

    @Test
    void evaluatesAgainstARun() {
        final RunResult r = run();
        assertTrue(Assertion.parse("p50<501ms").evaluate(r).passed());
        assertFalse(Assertion.parse("p50<499ms").evaluate(r).passed());
        assertEquals(990, Assertion.parse("p99<1s").evaluate(r).actual(), 1);
        assertFalse(Assertion.parse("p99<5ms").evaluate(r).passed());
        assertTrue(Assertion.parse("max<=1001ms").evaluate(r).passed());
        // 5 errors of 1005 requests = 0.4975%
        assertTrue(Assertion.parse("errors<0.5%").evaluate(r).passed());
        assertFalse(Assertion.parse("errors<0.1%").evaluate(r).passed());
        assertFalse(Assertion.parse("errors<5").evaluate(r).passed());
        assertTrue(Assertion.parse("errors<=5").evaluate(r).passed());
        // 1000 successes in 10 s
        assertTrue(Assertion.parse("throughput>99/s").evaluate(r).passed());
        assertFalse(Assertion.parse("throughput>100/s").evaluate(r).passed());
        assertTrue(Assertion.parse("requests>=1005").evaluate(r).passed());
        assertTrue(Assertion.parse("recommend.p50<501ms").evaluate(r).passed());
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> Assertion.parse("events.p99<5ms").evaluate(r)).getMessage().contains("no request named 'events'"));
        assertTrue(Assertion.parse("p99<5ms").evaluate(r).describe().startsWith("FAIL p99<5ms"));
    }

    @Test
    void aLatencyAssertionFailsWhenNothingSucceeded() {
        final long[] errors = new long[Outcome.values().length];
        errors[Outcome.CONNECT_ERROR.ordinal()] = 10;
        final RunResult.RequestStats s = new RunResult.RequestStats("all", 0, errors, new Histogram(3));
        final RunResult r = new RunResult("t", 0, 1, List.of(s), s, List.of(), new Histogram(3), false);
        assertFalse(Assertion.parse("p99<5ms").evaluate(r).passed());
    }
}
