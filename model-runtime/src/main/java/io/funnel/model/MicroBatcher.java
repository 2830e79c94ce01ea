package io.funnel.model;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.jctools.queues.MpscArrayQueue;

/**
 * Coalesces the candidate blocks of concurrent rank requests into one {@link Scorer} call.
 *
 * <p>A request hands over its whole candidate block ({@code rows} rows of {@code scorer.featureCount()} floats) and
 * gets a {@link Future} of the scores ({@code rows * headCount()} floats, row-major). Each model replica has one
 * batcher thread that drains a bounded JCTools MPSC queue, collects requests up to {@code maxBatch} rows or until the
 * oldest has waited {@code maxDelayMicros}, makes one scorer call and splits the results. With
 * {@code maxDelayMicros = 0} (the default) the batcher does not wait at all: it scores whatever has queued up while
 * the previous call ran, which adds no latency when idle and batches naturally under load.
 *
 * <p>Expected outcomes fail the future with a shared, stack-less {@link BatchRejectedException}: a full queue
 * ({@code QUEUE_FULL}, immediately, on the caller's thread), a deadline that passed before the batch ran
 * ({@code DEADLINE_EXCEEDED}), a closed batcher ({@code CLOSED}). The caller keeps its pre-rank order. A scorer
 * failure fails every request of that batch with the scorer's exception.
 *
 * <p>Threading: {@link #submit} is safe from any thread, never blocks and never calls the scorer. The future is
 * completed on the caller's Vert.x {@link Context} (captured at submit, via {@code runOnContext}) or, when the caller
 * has none, on the batcher thread. The request's {@code features} array must not change until the future completes.
 * Counters are readable from any thread.
 */
public final class MicroBatcher implements AutoCloseable {
    /** {@code deadlineNs} value meaning "no deadline". */
    public static final long NO_DEADLINE = Long.MAX_VALUE;

    private static final long IDLE_PARK_NS = TimeUnit.MILLISECONDS.toNanos(50);
    private static final int YIELD_EVERY_POLLS = 64;

    /** Called on the batcher thread after each scorer call; keep it cheap and non-blocking. */
    @FunctionalInterface
    public interface BatchListener {
        /**
         * @param requests requests scored in the batch
         * @param rows rows scored in the batch
         * @param scoreNs duration of the scorer call
         * @param queueDepth requests still queued on this replica after the batch was taken
         */
        void onBatch(int requests, int rows, long scoreNs, int queueDepth);
    }

    private final Scorer scorer;
    private final int maxBatch;
    private final long maxDelayNs;
    private final long spinNs;
    private final BatchListener listener;
    private final Runnable onThreadStart;
    private final Lane[] lanes;
    private final AtomicInteger nextLane = new AtomicInteger();
    private final LongAdder rejectedQueueFull = new LongAdder();
    private final LongAdder rejectedDeadline = new LongAdder();
    private final LongAdder failedScorer = new LongAdder();
    private volatile boolean running = true;

    private MicroBatcher(final Builder b) {
        this.scorer = b.scorer;
        this.maxBatch = b.maxBatch;
        this.maxDelayNs = TimeUnit.MICROSECONDS.toNanos(b.maxDelayMicros);
        this.spinNs = TimeUnit.MICROSECONDS.toNanos(b.spinMicros);
        this.listener = b.listener;
        this.onThreadStart = b.onThreadStart;
        this.lanes = new Lane[b.replicas];
        for (int i = 0; i < lanes.length; i++) {
            lanes[i] = new Lane(b.queueCapacity, b.threadName + "-" + i);
        }
        for (final Lane lane : lanes) {
            lane.thread.start();
        }
    }

    /** A builder over {@code scorer} (a model, or {@link ModelRegistry#scorer()} to follow hot swaps). */
    public static Builder builder(final Scorer scorer) {
        return new Builder(scorer);
    }

    /** Scores {@code rows} rows without a deadline; see {@link #submit(float[], int, long, float[])}. */
    public Future<float[]> submit(final float[] features, final int rows) {
        return submit(features, rows, NO_DEADLINE, null);
    }

    /** Scores {@code rows} rows; see {@link #submit(float[], int, long, float[])}. */
    public Future<float[]> submit(final float[] features, final int rows, final long deadlineNs) {
        return submit(features, rows, deadlineNs, null);
    }

    /**
     * Enqueues one request's candidate block.
     *
     * @param features row-major, at least {@code rows * featureCount()} values; not copied until the batch runs
     * @param rows candidates in this request, at least 1
     * @param deadlineNs {@link System#nanoTime()} after which the scores are useless, or {@link #NO_DEADLINE}
     * @param out where to write the {@code rows * headCount()} scores, or {@code null} to allocate
     * @return the scores, completed on the caller's context; failed with a {@link BatchRejectedException} for an
     *     expected rejection, an {@link IllegalArgumentException} for a bad request, or the scorer's exception
     */
    public Future<float[]> submit(final float[] features, final int rows, final long deadlineNs, final float[] out) {
        if (features == null || rows <= 0 || features.length < (long) rows * scorer.featureCount()
                || (out != null && out.length < (long) rows * scorer.headCount())) {
            return Future.failedFuture(new IllegalArgumentException("need rows >= 1, features of rows*"
                    + scorer.featureCount() + " and out of rows*" + scorer.headCount() + " values: rows=" + rows
                    + ", features=" + (features == null ? "null" : features.length)
                    + ", out=" + (out == null ? "null" : out.length)));
        }
        if (!running) {
            return Future.failedFuture(BatchRejectedException.CLOSED);
        }
        final long nowNs = System.nanoTime();
        if (deadlineNs - nowNs < 0) {
            rejectedDeadline.increment();
            return Future.failedFuture(BatchRejectedException.DEADLINE_EXCEEDED);
        }
        final Lane lane = pickLane();
        final Context context = Vertx.currentContext();
        final Request request = new Request(features, rows, deadlineNs, out, nowNs, context);
        if (!lane.queue.offer(request)) {
            rejectedQueueFull.increment();
            return Future.failedFuture(BatchRejectedException.QUEUE_FULL);
        }
        if (context != null && context.isEventLoopContext() && Context.isOnEventLoopThread()) {
            // The result comes back to this thread (runOnContext); until then it may busy-poll (EventLoopPolling).
            request.polled = true;
            EventLoopPolling.begin();
        }
        // Pairs with the batcher's volatile write of `parked` before its last look at the queue (no lost wake-up).
        VarHandle.fullFence();
        if (lane.parked) {
            LockSupport.unpark(lane.thread);
        }
        return request.promise.future();
    }

    private Lane pickLane() {
        final Lane[] all = lanes;
        if (all.length == 1) {
            return all[0];
        }
        // Two choices: the shorter of two neighbouring queues.
        final int i = (nextLane.getAndIncrement() & Integer.MAX_VALUE) % all.length;
        final Lane a = all[i];
        final Lane b = all[(i + 1) % all.length];
        return a.queue.size() <= b.queue.size() ? a : b;
    }

    /** Requests waiting in the queues now (all replicas). */
    public int queueDepth() {
        int depth = 0;
        for (final Lane lane : lanes) {
            depth += lane.queue.size();
        }
        return depth;
    }

    /** Scorer calls made so far. */
    public long batches() {
        return sumOverLanes(lane -> lane.batches);
    }

    /** Requests scored so far. */
    public long requestsScored() {
        return sumOverLanes(lane -> lane.requests);
    }

    /** Rows scored so far; {@code rowsScored() / batches()} is the mean batch size. */
    public long rowsScored() {
        return sumOverLanes(lane -> lane.rows);
    }

    /** Times a batcher thread found its queue empty and spun ({@code spinMicros}) instead of parking at once. */
    public long spins() {
        return sumOverLanes(lane -> lane.spins);
    }

    /** Spins that ended because a request arrived (the rest ended in a park); see {@link #spins()}. */
    public long spinHits() {
        return sumOverLanes(lane -> lane.spinHits);
    }

    private long sumOverLanes(final java.util.function.ToLongFunction<Lane> counter) {
        long n = 0;
        for (final Lane lane : lanes) {
            n += counter.applyAsLong(lane);
        }
        return n;
    }

    /** Rows of the most recent batch of replica 0. */
    public int lastBatchRows() {
        return lanes[0].lastBatchRows;
    }

    /** Requests refused because the queue was full. */
    public long rejectedQueueFull() {
        return rejectedQueueFull.sum();
    }

    /** Requests failed because their deadline passed. */
    public long rejectedDeadline() {
        return rejectedDeadline.sum();
    }

    /** Requests failed because the scorer threw. */
    public long failedScorer() {
        return failedScorer.sum();
    }

    /** Maximum rows per scorer call. */
    public int maxBatch() {
        return maxBatch;
    }

    /**
     * Stops the batcher threads after their current batch; requests still queued fail with {@code CLOSED}. Does not
     * close the scorer.
     */
    @Override
    public void close() {
        running = false;
        for (final Lane lane : lanes) {
            LockSupport.unpark(lane.thread);
        }
        for (final Lane lane : lanes) {
            try {
                lane.thread.join(TimeUnit.SECONDS.toMillis(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (!lane.thread.isAlive()) {
                // A submit that raced with close may have enqueued after the lane's last drain; this thread is now
                // the queue's only consumer.
                Request r;
                while ((r = lane.queue.poll()) != null) {
                    r.fail(BatchRejectedException.CLOSED);
                }
            }
        }
    }

    private static final class Request implements Handler<Void> {
        final float[] features;
        final int rows;
        final long deadlineNs;
        final long enqueuedNs;
        final Context context;
        final Promise<float[]> promise = Promise.promise();
        float[] out;
        Throwable failure;
        /** Set on the submitting event loop, read there when the result arrives: counted by EventLoopPolling. */
        boolean polled;

        Request(final float[] features, final int rows, final long deadlineNs, final float[] out,
                final long enqueuedNs, final Context context) {
            this.features = features;
            this.rows = rows;
            this.deadlineNs = deadlineNs;
            this.out = out;
            this.enqueuedNs = enqueuedNs;
            this.context = context;
        }

        void succeed(final float[] scores) {
            out = scores;
            dispatch();
        }

        void fail(final Throwable cause) {
            failure = cause;
            dispatch();
        }

        private void dispatch() {
            if (context == null) {
                handle(null);
            } else {
                context.runOnContext(this);
            }
        }

        /** Runs on the caller's context. */
        @Override
        public void handle(final Void ignored) {
            if (polled) {
                EventLoopPolling.end();
            }
            if (failure == null) {
                promise.tryComplete(out);
            } else {
                promise.tryFail(failure);
            }
        }
    }

    /** One replica: a queue, a thread and its scratch arrays (touched only by that thread). */
    private final class Lane implements Runnable {
        final MpscArrayQueue<Request> queue;
        final Thread thread;
        volatile boolean parked;
        volatile long batches;
        volatile long requests;
        volatile long rows;
        volatile int lastBatchRows;
        volatile long spins;
        volatile long spinHits;
        private final List<Request> batch = new ArrayList<>();
        // Arrival statistics for the adaptive spin, touched only by this lane's thread.
        private boolean arrivedBefore;
        private long lastArrivalNs;
        private long gapEwmaNs = Long.MAX_VALUE;
        private Request carried;
        private float[] in = new float[0];
        private float[] scores = new float[0];

        Lane(final int capacity, final String name) {
            this.queue = new MpscArrayQueue<>(capacity);
            this.thread = new Thread(this, name);
            thread.setDaemon(true);
        }

        @Override
        public void run() {
            onThreadStart.run();
            while (running) {
                final Request first = carried != null ? carried : queue.poll();
                carried = null;
                if (first == null) {
                    idle();
                    continue;
                }
                collect(first);
                if (!batch.isEmpty()) {
                    scoreBatch();
                }
            }
            if (carried != null) {
                carried.fail(BatchRejectedException.CLOSED);
            }
            Request r;
            while ((r = queue.poll()) != null) {
                r.fail(BatchRejectedException.CLOSED);
            }
        }

        /** Fills {@code batch} starting with {@code first}, up to maxBatch rows or maxDelay after it arrived. */
        private void collect(final Request first) {
            batch.clear();
            int total = 0;
            final long flushAtNs = first.enqueuedNs + maxDelayNs;
            Request next = first;
            while (true) {
                if (next != null) {
                    final long nowNs = System.nanoTime();
                    if (next.deadlineNs - nowNs < 0) {
                        rejectedDeadline.increment();
                        next.fail(BatchRejectedException.DEADLINE_EXCEEDED);
                    } else if (total > 0 && total + next.rows > maxBatch) {
                        carried = next; // first of the next batch
                        return;
                    } else {
                        arrived(next.enqueuedNs);
                        batch.add(next);
                        total += next.rows;
                        if (total >= maxBatch) {
                            return;
                        }
                    }
                }
                next = queue.poll();
                if (next == null) {
                    final long waitNs = flushAtNs - System.nanoTime();
                    if (waitNs <= 0 || !running) {
                        return;
                    }
                    waitForWork(waitNs);
                    next = queue.poll();
                    if (next == null && flushAtNs - System.nanoTime() <= 0) {
                        return;
                    }
                }
            }
        }

        /** Tracks the mean gap between arrivals (an exponentially weighted average over about 4 requests). */
        private void arrived(final long enqueuedNs) {
            if (arrivedBefore) {
                final long gapNs = Math.max(0, enqueuedNs - lastArrivalNs);
                final long ewma = gapEwmaNs;
                gapEwmaNs = ewma == Long.MAX_VALUE ? gapNs : ewma + ((gapNs - ewma) >> 2);
            }
            arrivedBefore = true;
            lastArrivalNs = enqueuedNs;
        }

        /**
         * The queue is empty. Spin for up to {@code spinNs} only while requests have been arriving about that often
         * (mean gap below {@code spinNs} and the last one recent), so that the next request finds this thread awake
         * instead of paying a wake-up; otherwise, or after a fruitless spin, park.
         */
        private void idle() {
            final long s = spinNs;
            if (s > 0) {
                final long nowNs = System.nanoTime();
                if (gapEwmaNs < s && nowNs - lastArrivalNs < 2 * s) {
                    spins++;
                    final long spinUntil = nowNs + s;
                    int polls = 0;
                    while (queue.isEmpty() && running && System.nanoTime() - spinUntil < 0) {
                        // Yield now and then: on a small or shared machine another runnable thread (the event loop
                        // that will submit the next request, or one being woken with results) gets this core
                        // instead of waiting for the spin to end; on an idle core yield returns at once.
                        if ((++polls & YIELD_EVERY_POLLS - 1) == 0) {
                            Thread.yield();
                        } else {
                            Thread.onSpinWait();
                        }
                    }
                    if (!queue.isEmpty()) {
                        spinHits++;
                        return;
                    }
                }
            }
            park(IDLE_PARK_NS);
        }

        private void park(final long maxWaitNs) {
            parked = true;
            if (queue.isEmpty() && running) {
                LockSupport.parkNanos(this, maxWaitNs);
            }
            parked = false;
        }

        /** Waits for more requests while a batch is forming ({@code maxDelayMicros > 0}). */
        private void waitForWork(final long maxWaitNs) {
            if (spinNs > 0) {
                final long spinUntil = System.nanoTime() + Math.min(spinNs, maxWaitNs);
                while (queue.isEmpty() && running && System.nanoTime() - spinUntil < 0) {
                    Thread.onSpinWait();
                }
                if (!queue.isEmpty()) {
                    return;
                }
            }
            park(maxWaitNs);
        }

        private void scoreBatch() {
            final List<Request> reqs = batch;
            // Drop requests whose deadline passed while the batch filled.
            final long nowNs = System.nanoTime();
            int total = 0;
            for (int i = reqs.size() - 1; i >= 0; i--) {
                final Request r = reqs.get(i);
                if (r.deadlineNs - nowNs < 0) {
                    rejectedDeadline.increment();
                    r.fail(BatchRejectedException.DEADLINE_EXCEEDED);
                    reqs.remove(i);
                } else {
                    total += r.rows;
                }
            }
            if (reqs.isEmpty()) {
                return;
            }
            final Scorer s = scorer;
            final int f = s.featureCount();
            final int h = s.headCount();
            final long startNs;
            final long scoreNs;
            try {
                if (reqs.size() == 1) {
                    // One request (possibly larger than maxBatch): no copy in.
                    final Request r = reqs.get(0);
                    final float[] out = r.out != null ? r.out : new float[r.rows * h];
                    startNs = System.nanoTime();
                    s.score(r.features, r.rows, out);
                    scoreNs = System.nanoTime() - startNs;
                    r.out = out;
                } else {
                    if (in.length < total * f) {
                        in = new float[total * f];
                    }
                    if (scores.length < total * h) {
                        scores = new float[total * h];
                    }
                    int row = 0;
                    for (final Request r : reqs) {
                        System.arraycopy(r.features, 0, in, row * f, r.rows * f);
                        row += r.rows;
                    }
                    startNs = System.nanoTime();
                    s.score(in, total, scores);
                    scoreNs = System.nanoTime() - startNs;
                    row = 0;
                    for (final Request r : reqs) {
                        if (r.out == null) {
                            r.out = new float[r.rows * h];
                        }
                        System.arraycopy(scores, row * h, r.out, 0, r.rows * h);
                        row += r.rows;
                    }
                }
            } catch (RuntimeException | Error e) {
                failedScorer.add(reqs.size());
                for (final Request r : reqs) {
                    r.fail(e);
                }
                reqs.clear();
                return;
            }
            batches++;
            requests += reqs.size();
            rows += total;
            lastBatchRows = total;
            for (final Request r : reqs) {
                r.succeed(r.out);
            }
            listener.onBatch(reqs.size(), total, scoreNs, queue.size());
            reqs.clear();
        }
    }

    /**
     * Configures a {@link MicroBatcher}. Defaults: {@code maxBatch} 2048 rows, {@code maxDelayMicros} 0 (no waiting:
     * batch what queued up during the previous call), queue of 1024 requests per replica, 1 replica, no spinning.
     *
     * <p>Threading: confined to one thread.
     */
    public static final class Builder {
        private final Scorer scorer;
        private int maxBatch = 2048;
        private long maxDelayMicros;
        private int queueCapacity = 1024;
        private int replicas = 1;
        private long spinMicros;
        private String threadName = "funnel-batcher";
        private BatchListener listener = (requests, rows, scoreNs, depth) -> {};
        private Runnable onThreadStart = () -> {};

        private Builder(final Scorer scorer) {
            this.scorer = Objects.requireNonNull(scorer, "scorer");
        }

        /** Most rows per scorer call (default 2048); a single larger request is scored alone. */
        public Builder maxBatch(final int rows) {
            if (rows < 1) {
                throw new IllegalArgumentException("maxBatch must be >= 1 row, got " + rows);
            }
            maxBatch = rows;
            return this;
        }

        /** Longest wait for more rows after the first request of a batch arrived (default 0 = never wait). */
        public Builder maxDelayMicros(final long micros) {
            if (micros < 0 || micros > 1_000_000) {
                throw new IllegalArgumentException("maxDelayMicros must be 0..1000000, got " + micros);
            }
            maxDelayMicros = micros;
            return this;
        }

        /** Requests each replica's queue holds before {@code submit} fails with QUEUE_FULL (default 1024). */
        public Builder queueCapacity(final int requests) {
            if (requests < 2) {
                throw new IllegalArgumentException("queueCapacity must be >= 2 requests, got " + requests);
            }
            queueCapacity = requests;
            return this;
        }

        /** Batcher threads (default 1), each with its own queue, all calling the same scorer. */
        public Builder replicas(final int value) {
            if (value < 1 || value > 64) {
                throw new IllegalArgumentException("replicas must be 1..64, got " + value);
            }
            replicas = value;
            return this;
        }

        /**
         * Adaptive busy-spin before parking, microseconds (default 0: always park at once). When a batcher thread's
         * queue runs empty it keeps polling for up to this long, but only while requests have been arriving about
         * this often (the mean gap between recent arrivals is below {@code micros} and the last one came within
         * {@code 2 * micros}); at lower request rates it parks at once. A request that arrives during the spin
         * is taken without a thread wake-up, and {@code submit} skips the {@code unpark} system call. Cost: up to
         * one core per replica while the rate is in that range, which on small machines competes with the event
         * loops. While a batch is forming under {@code maxDelayMicros}, the spin is bounded by the remaining delay.
         */
        public Builder spinMicros(final long micros) {
            if (micros < 0 || micros > 1_000_000) {
                throw new IllegalArgumentException("spinMicros must be 0..1000000, got " + micros);
            }
            spinMicros = micros;
            return this;
        }

        /** Prefix of the batcher thread names (default {@code funnel-batcher}). */
        public Builder threadName(final String value) {
            threadName = Objects.requireNonNull(value, "threadName");
            return this;
        }

        /** Runs first on each batcher thread, e.g. to pin it to a CPU (default none). */
        public Builder onThreadStart(final Runnable value) {
            onThreadStart = Objects.requireNonNull(value, "onThreadStart");
            return this;
        }

        /** Metrics hook called after each batch on the batcher thread (default none). */
        public Builder listener(final BatchListener value) {
            listener = Objects.requireNonNull(value, "listener");
            return this;
        }

        /** Starts the batcher threads. */
        public MicroBatcher build() {
            return new MicroBatcher(this);
        }
    }
}
