package io.funnel.loadtest;

import io.funnel.loadtest.spi.Driver;
import io.funnel.loadtest.spi.LoadResponse;
import io.funnel.loadtest.spi.Outcome;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * Runs a {@link Simulation} through a {@link Driver} and records it without coordinated omission.
 *
 * <p>Open model: the calling thread walks the merged {@link ArrivalSchedule}s and hands every arrival that is due
 * to the driver's I/O threads in batches; each request's latency is measured from its <em>intended</em> send time
 * (the arrival, or the end of the preceding pause), so a server stall delays every request scheduled during it and
 * shows in the tail, and a late harness shows too (its lag is recorded separately). Closed model: each user sends
 * its next request when the previous answer arrives and is timed from the actual send; that is the coordinated
 * omission the open model avoids, kept for comparison.
 *
 * <p>Threading: {@link #run} blocks the calling thread for the simulation's duration plus the drain of requests
 * still in flight (at most the driver's request timeout). One run at a time per driver.
 */
public final class LoadRunner {
    private static final int BATCH = 256;
    private static final long DRAIN_LIMIT_NS = TimeUnit.SECONDS.toNanos(15);

    private final Simulation simulation;
    private final Driver driver;
    private final Recording recording;
    private final CompiledScenario[] scenarios;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicLong activeUsers = new AtomicLong();
    private final ScheduledExecutorService timers;
    private volatile boolean stopped;
    private long measureStartNs;

    private LoadRunner(final Simulation simulation, final Driver driver) {
        this.simulation = simulation;
        this.driver = driver;
        final List<String> names = new ArrayList<>();
        for (final Population p : simulation.populations()) {
            for (final Scenario.Step s : p.scenario().steps()) {
                if (s instanceof Scenario.Exec e && !names.contains(e.request().name())) {
                    names.add(e.request().name());
                }
            }
        }
        recording = new Recording(names);
        scenarios = new CompiledScenario[simulation.populations().size()];
        for (int i = 0; i < scenarios.length; i++) {
            scenarios[i] = new CompiledScenario(simulation.populations().get(i), names);
        }
        timers = Executors.newSingleThreadScheduledExecutor(r -> {
            final Thread t = new Thread(r, "load-pauses");
            t.setDaemon(true);
            return t;
        });
    }

    /** Runs {@code simulation} to its end; see the class comment for the threading. */
    public static RunResult run(final Simulation simulation, final Driver driver) {
        return run(simulation, driver, s -> { });
    }

    /**
     * Runs {@code simulation} to its end, calling {@code progress} once a measured second (on a sampler thread).
     */
    public static RunResult run(final Simulation simulation, final Driver driver,
            final Consumer<RunResult.Second> progress) {
        final LoadRunner runner = new LoadRunner(simulation, driver);
        try {
            return runner.execute(progress);
        } finally {
            runner.timers.shutdownNow();
        }
    }

    private RunResult execute(final Consumer<RunResult.Second> progress) {
        final long durationNs = simulation.durationNanos();
        final long warmupNs = simulation.warmup().toNanos();
        final long startNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20);
        measureStartNs = startNs + warmupNs;
        final long startEpochMs = System.currentTimeMillis() + (measureStartNs - System.nanoTime()) / 1_000_000;
        final Sampler sampler = new Sampler(progress);
        sampler.start();

        final SplittableRandom random = new SplittableRandom(simulation.seed());
        final List<ArrivalSchedule> schedules = new ArrayList<>();
        final List<Integer> openIndex = new ArrayList<>();
        boolean closedModel = false;
        for (int i = 0; i < scenarios.length; i++) {
            final Population p = simulation.populations().get(i);
            if (p.isClosed()) {
                closedModel = true;
                startClosed(i, p.closedUsers(), random, startNs, startNs + p.durationNanos());
            } else {
                schedules.add(new ArrivalSchedule(p.profile(), random.nextLong()));
                openIndex.add(i);
            }
        }
        dispatchOpen(schedules, openIndex, random, startNs);
        waitUntil(startNs + durationNs);
        stopped = true;
        final long drainUntil = System.nanoTime() + DRAIN_LIMIT_NS;
        while ((activeUsers.get() > 0 || inFlight.get() > 0) && System.nanoTime() < drainUntil) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
        }
        sampler.finish();
        return recording.result(simulation.name(), startEpochMs, (durationNs - warmupNs) / 1e9, closedModel);
    }

    private void startClosed(final int scenario, final int users, final SplittableRandom random, final long startNs,
            final long endNs) {
        for (int u = 0; u < users; u++) {
            final Session session = new Session(scenarios[scenario], random.split(), endNs);
            activeUsers.incrementAndGet();
            driver.execute(() -> session.start(Math.max(System.nanoTime(), startNs)));
        }
    }

    /** Hands due arrivals to the driver in batches until every schedule is over. */
    private void dispatchOpen(final List<ArrivalSchedule> schedules, final List<Integer> index,
            final SplittableRandom random, final long startNs) {
        while (true) {
            int which = -1;
            long offset = Long.MAX_VALUE;
            for (int i = 0; i < schedules.size(); i++) {
                final long t = schedules.get(i).peek();
                if (t >= 0 && t < offset) {
                    offset = t;
                    which = i;
                }
            }
            if (which < 0) {
                return;
            }
            waitUntil(startNs + offset);
            final long now = System.nanoTime();
            final Session[] batch = new Session[BATCH];
            final long[] intended = new long[BATCH];
            int n = 0;
            // Everything already due goes in this batch: at high rates one hand-off carries many arrivals.
            while (which >= 0 && n < BATCH) {
                batch[n] = new Session(scenarios[index.get(which)], random.split(), Long.MAX_VALUE);
                intended[n++] = startNs + offset;
                schedules.get(which).advance();
                which = -1;
                offset = Long.MAX_VALUE;
                for (int i = 0; i < schedules.size(); i++) {
                    final long t = schedules.get(i).peek();
                    if (t >= 0 && t < offset && startNs + t <= now) {
                        offset = t;
                        which = i;
                    }
                }
            }
            activeUsers.addAndGet(n);
            final int size = n;
            driver.execute(() -> {
                final long started = System.nanoTime();
                for (int i = 0; i < size; i++) {
                    if (intended[i] >= measureStartNs) {
                        recording.started(started - intended[i]);
                    }
                    batch[i].start(intended[i]);
                }
            });
        }
    }

    private static void waitUntil(final long deadlineNs) {
        long wait;
        while ((wait = deadlineNs - System.nanoTime()) > 0) {
            LockSupport.parkNanos(Math.min(wait, 100_000));
        }
    }

    /** A scenario with its request slots resolved once. */
    private static final class CompiledScenario {
        final Scenario scenario;
        final Scenario.Step[] steps;
        final int[] slots;
        final boolean closed;

        CompiledScenario(final Population population, final List<String> names) {
            scenario = population.scenario();
            closed = population.isClosed();
            steps = scenario.steps().toArray(new Scenario.Step[0]);
            slots = new int[steps.length];
            for (int i = 0; i < steps.length; i++) {
                slots[i] = steps[i] instanceof Scenario.Exec e ? names.indexOf(e.request().name()) : -1;
            }
        }
    }

    /** One virtual user: runs its scenario's steps on the driver's I/O threads, one request at a time. */
    private final class Session implements Consumer<LoadResponse> {
        private final CompiledScenario sc;
        private final SplittableRandom random;
        private final long endNs;
        private long userId;
        private int step;
        private long intendedNs;

        Session(final CompiledScenario sc, final SplittableRandom random, final long endNs) {
            this.sc = sc;
            this.random = random;
            this.endNs = endNs;
        }

        /** Begins the scenario at {@code intendedNs}; on an I/O thread. */
        void start(final long intended) {
            intendedNs = intended;
            step = 0;
            userId = sc.scenario.users().next(random);
            advance();
        }

        private void advance() {
            if (step >= sc.steps.length) {
                finish();
                return;
            }
            switch (sc.steps[step]) {
                case Scenario.Pause p -> {
                    final long pauseNs = p.minNs() == p.maxNs() ? p.minNs()
                            : p.minNs() + random.nextLong(p.maxNs() - p.minNs() + 1);
                    final long wakeNs = System.nanoTime() + pauseNs;
                    timers.schedule(() -> driver.execute(() -> {
                        // The next request is due at the end of the pause, however late this timer fires.
                        intendedNs = wakeNs;
                        step++;
                        advance();
                    }), pauseNs, TimeUnit.NANOSECONDS);
                }
                case Scenario.Exec e -> {
                    if (sc.closed) {
                        intendedNs = System.nanoTime(); // closed model: timed from the actual send
                    }
                    if (inFlight.incrementAndGet() > simulation.maxInFlight()) {
                        inFlight.decrementAndGet();
                        if (intendedNs >= measureStartNs) {
                            recording.error(sc.slots[step], Outcome.NOT_SENT);
                        }
                        finish();
                        return;
                    }
                    driver.send(e.request().build(userId, random), this);
                }
            }
        }

        @Override
        public void accept(final LoadResponse response) {
            final long now = System.nanoTime();
            inFlight.decrementAndGet();
            final int slot = sc.slots[step];
            Outcome outcome = response.outcome();
            if (outcome == Outcome.OK) {
                for (final Check check : ((Scenario.Exec) sc.steps[step]).request().checks()) {
                    if (check.verify(response) != null) {
                        outcome = Outcome.CHECK_FAILED;
                        break;
                    }
                }
            }
            if (intendedNs >= measureStartNs) {
                if (outcome == Outcome.OK) {
                    recording.ok(slot, now - intendedNs);
                } else {
                    recording.error(slot, outcome);
                }
            }
            step++;
            intendedNs = now; // a request right after an answer is due now
            advance();
        }

        private void finish() {
            if (sc.closed && !stopped && System.nanoTime() < endNs) {
                start(System.nanoTime());
            } else {
                activeUsers.decrementAndGet();
            }
        }
    }

    /** Samples the recorders once a measured second, on its own thread. */
    private final class Sampler extends Thread {
        private final Consumer<RunResult.Second> progress;
        private volatile boolean done;
        private int second;

        Sampler(final Consumer<RunResult.Second> progress) {
            super("load-sampler");
            setDaemon(true);
            this.progress = progress;
        }

        @Override
        public void run() {
            while (!done) {
                final long due = measureStartNs + (second + 1) * 1_000_000_000L;
                while (!done && System.nanoTime() < due) {
                    LockSupport.parkNanos(Math.min(due - System.nanoTime(), 20_000_000L));
                }
                if (done) {
                    return;
                }
                sampleOne();
            }
        }

        private void sampleOne() {
            progress.accept(recording.sample(second));
            second++;
        }

        void finish() {
            done = true;
            interrupt();
            try {
                join(2_000);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (System.nanoTime() > measureStartNs) {
                // The partial last second and whatever drained after the end; an empty row is left out.
                final RunResult.Second last = recording.sample(second);
                if (last.started() + last.ok() + last.errors() > 0) {
                    progress.accept(last);
                } else {
                    recording.dropLast();
                }
            }
        }
    }
}
