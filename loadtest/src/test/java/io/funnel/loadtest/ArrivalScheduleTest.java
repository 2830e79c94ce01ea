package io.funnel.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ArrivalScheduleTest {
    private static List<Long> arrivals(final List<Injection> profile, final long seed) {
        final ArrivalSchedule s = new ArrivalSchedule(profile, seed);
        final List<Long> out = new ArrayList<>();
        for (long t = s.peek(); t >= 0; t = s.peek()) {
            out.add(t);
            s.advance();
        }
        return out;
    }

    @Test
    void constantRateIsEvenlySpacedAndStopsAtTheEnd() {
        final List<Long> a = arrivals(List.of(Injection.constantRate(1000, Duration.ofSeconds(2))), 1);
        assertEquals(2000, a.size());
        for (int i = 0; i < a.size(); i++) {
            assertEquals(i * 1_000_000L, a.get(i), "arrival " + i);
        }
    }

    @Test
    void fractionalRatesKeepTheirAverage() {
        final List<Long> a = arrivals(List.of(Injection.constantRate(2.5, Duration.ofSeconds(4))), 1);
        assertEquals(List.of(0L, 400_000_000L, 800_000_000L, 1_200_000_000L, 1_600_000_000L, 2_000_000_000L,
                2_400_000_000L, 2_800_000_000L, 3_200_000_000L, 3_600_000_000L), a);
    }

    @Test
    void rampFollowsTheIntegralOfItsRate() {
        // 0 → 1000/s over 10 s: 5000 arrivals; by time t, 50·t² of them (the integral of 100·t).
        final List<Long> a = arrivals(List.of(Injection.ramp(0, 1000, Duration.ofSeconds(10))), 1);
        assertEquals(5000, a.size(), 1);
        for (final double t : new double[] {1, 2.5, 5, 7.5, 9.9}) {
            final long expected = Math.round(50 * t * t);
            final long actual = a.stream().filter(x -> x < t * 1e9).count();
            assertEquals(expected, actual, 1.0, "arrivals before " + t + " s");
        }
        for (int i = 1; i < a.size(); i++) {
            assertTrue(a.get(i) >= a.get(i - 1), "arrivals are in order");
        }
        // The gaps shrink as the rate rises: the last second is ten times denser than the first.
        final long firstSecond = a.stream().filter(x -> x < 1e9).count();
        final long lastSecond = a.stream().filter(x -> x >= 9e9).count();
        assertEquals(50, firstSecond, 1);
        assertEquals(950, lastSecond, 1);
    }

    @Test
    void fallingRampAndFlatRampWork() {
        final List<Long> down = arrivals(List.of(Injection.ramp(1000, 0, Duration.ofSeconds(2))), 1);
        assertEquals(1000, down.size(), 1);
        assertEquals(750, down.stream().filter(x -> x < 1e9).count(), 1, "three quarters arrive in the first half");
        final List<Long> flat = arrivals(List.of(Injection.ramp(100, 100, Duration.ofSeconds(1))), 1);
        assertEquals(arrivals(List.of(Injection.constantRate(100, Duration.ofSeconds(1))), 1), flat);
    }

    @Test
    void segmentsAndStepsFollowEachOther() {
        final List<Injection> profile = new ArrayList<>();
        profile.add(Injection.nothingFor(Duration.ofMillis(500)));
        profile.addAll(Injection.steps(10, 10, 3, Duration.ofSeconds(1)));
        final List<Long> a = arrivals(profile, 1);
        assertEquals(10 + 20 + 30, a.size());
        assertEquals(500_000_000L, a.get(0), "nothing arrives during the pause");
        assertEquals(10, a.stream().filter(x -> x >= 0.5e9 && x < 1.5e9).count());
        assertEquals(20, a.stream().filter(x -> x >= 1.5e9 && x < 2.5e9).count());
        assertEquals(30, a.stream().filter(x -> x >= 2.5e9 && x < 3.5e9).count());
        assertEquals(3_500_000_000L, ArrivalSchedule.totalNanos(profile));
    }

    @Test
    void poissonArrivalsHaveTheRateAndExponentialGapsAndRepeatWithTheSeed() {
        final List<Long> a = arrivals(List.of(Injection.poisson(2000, Duration.ofSeconds(10))), 7);
        assertEquals(20_000, a.size(), 20_000 * 0.03, "count within 3% of rate × duration");
        // Exponential gaps: the coefficient of variation is 1 (evenly spaced arrivals would give 0).
        final double[] gaps = new double[a.size() - 1];
        double mean = 0;
        for (int i = 1; i < a.size(); i++) {
            gaps[i - 1] = a.get(i) - a.get(i - 1);
            mean += gaps[i - 1];
        }
        mean /= gaps.length;
        double var = 0;
        for (final double g : gaps) {
            var += (g - mean) * (g - mean);
        }
        final double cv = Math.sqrt(var / gaps.length) / mean;
        assertEquals(1.0, cv, 0.05, "coefficient of variation of the gaps");
        assertEquals(a, arrivals(List.of(Injection.poisson(2000, Duration.ofSeconds(10))), 7), "same seed, same run");
    }
}
