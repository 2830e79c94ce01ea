package io.funnel.engine.ingest;

import io.funnel.codecs.EventBatch;
import io.funnel.codecs.EventType;
import io.funnel.engine.FunnelException;
import io.funnel.engine.metrics.FunnelMetrics;
import io.funnel.engine.offline.ServingState;
import io.funnel.engine.pipeline.RankFeatures;
import io.funnel.engine.rerank.ExplorationFeatures;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VertxException;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import org.agrona.ExpandableDirectByteBuffer;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.jctools.queues.MpscArrayQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The single writer of the serving state: applies feedback events (user recent items and counters, seen items,
 * popularity and trending) on its own thread, in arrival order, and rebuilds the popularity top lists every refresh
 * interval. Callers hand over whole batches and get a future that completes, on their own context, once the batch
 * has been applied — so a recommendation requested after the acknowledgement already reflects it.
 *
 * <p><b>With an {@link EventLog}</b> (durable ingestion) the applier thread first replays the log on top of the state
 * built from the data set, from the state's {@link ServingState#logPosition()} to the log's end, through the same
 * {@link #apply} code; then, live, it encodes each batch (SBE EventBatch) and appends it to the log, and applies it and
 * completes its future only once the log's durable position covers it. Appends run ahead of durability (a window of
 * up to the queue capacity), so one disk flush covers every batch appended meanwhile (group commit). The order of
 * application is the order of the log, and after each batch the state's log position is set to the batch's end: a
 * batch is applied to a state exactly once, live or replayed, never both. The last applied position is also written
 * to {@link AppliedPositionFile} (at most every 200 ms and on close) for the start-up checks.
 *
 * <p>Threading: {@link #submit} may be called from any thread (it only enqueues); everything else runs on the
 * applier thread. A full queue fails the submit at once with {@link #QUEUE_FULL} (the HTTP layer answers 503).
 */
public final class EventApplier implements AutoCloseable {
    /** Failure message when the queue is full; callers map it to 503. */
    public static final String QUEUE_FULL = "event queue is full";
    private static final Logger LOG = LoggerFactory.getLogger(EventApplier.class);
    private static final long POSITION_WRITE_INTERVAL_NS = TimeUnit.MILLISECONDS.toNanos(200);

    private final ServingState state;
    private final FunnelMetrics metrics;
    private final MpscArrayQueue<Task> queue;
    private final long refreshNs;
    private final Thread thread;
    private final EventLog log;
    private final AppliedPositionFile positions;
    private final IdleStrategy idle;
    private final Promise<Long> started = Promise.promise();
    private volatile boolean running = true;
    private long lastRefreshNs;
    // Applier-thread state for the durable path.
    private final ArrayDeque<Task> appended = new ArrayDeque<>();
    private final ExpandableDirectByteBuffer scratch = new ExpandableDirectByteBuffer(64 * 1024);
    private final EventBatchCodec codec = new EventBatchCodec();
    private Task stalled;
    /** {@code appended.size()}, readable from other threads. */
    private volatile int appendedCount;
    private int stalledLength;
    private long lastPositionWriteNs;
    private long writtenPosition = Long.MIN_VALUE;
    // Applier-thread scratch for the exploration model's context.
    private final io.funnel.features.UserRow userRow;
    private final float[] categoryShare;
    private final float[] context = new float[ExplorationFeatures.WIDTH];

    /** A batch whose items are already resolved to ordinals, plus who to tell when it is applied. */
    private static final class Task {
        final EventBatch batch;
        final int[] ordinals;
        final Promise<Long> promise;
        final Context context;
        final long submitNs;
        long position = EventIntake.Accepted.NO_LOG;

        Task(final EventBatch batch, final int[] ordinals, final Promise<Long> promise, final Context context) {
            this.batch = batch;
            this.ordinals = ordinals;
            this.promise = promise;
            this.context = context;
            this.submitNs = System.nanoTime();
        }
    }

    /**
     * @param queueCapacity batches that may wait (a power of two is used internally)
     * @param refreshMillis how often popularity top lists are rebuilt
     */
    public EventApplier(final ServingState state, final FunnelMetrics metrics, final int queueCapacity,
            final int refreshMillis) {
        this(state, metrics, queueCapacity, refreshMillis, () -> { });
    }

    /** As above; {@code onStart} runs first on the applier thread (e.g. to pin it to a CPU). */
    public EventApplier(final ServingState state, final FunnelMetrics metrics, final int queueCapacity,
            final int refreshMillis, final Runnable onStart) {
        this(state, metrics, queueCapacity, refreshMillis, onStart, null, null,
                new BackoffIdleStrategy(1, 10, 1_000, 1_000_000));
    }

    /**
     * A durable applier: replays {@code log} on its thread first (see {@link #started()}), then appends every batch
     * to it before applying.
     *
     * @param log       the event log (owned by the caller, who closes it after this applier)
     * @param positions where the last applied position is recorded, or {@code null} for nowhere
     * @param idle      how the applier thread waits when it has nothing to do
     */
    public EventApplier(final ServingState state, final FunnelMetrics metrics, final int queueCapacity,
            final int refreshMillis, final Runnable onStart, final EventLog log, final AppliedPositionFile positions,
            final IdleStrategy idle) {
        this.state = state;
        this.metrics = metrics;
        this.queue = new MpscArrayQueue<>(queueCapacity);
        this.refreshNs = TimeUnit.MILLISECONDS.toNanos(refreshMillis);
        this.lastRefreshNs = System.nanoTime();
        this.log = log;
        this.positions = positions;
        this.idle = idle;
        this.userRow = new io.funnel.features.UserRow(state.store().dimension());
        this.categoryShare = new float[Math.max(1, state.categoryCount())];
        this.thread = new Thread(() -> {
            onStart.run();
            if (!startUp()) {
                return;
            }
            run();
        }, "funnel-event-applier");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    /**
     * Completes once the applier is live, with the number of events replayed from the log (0 without a log); fails
     * when the log cannot be replayed or does not match the state (the applier thread has stopped then).
     */
    public Future<Long> started() {
        return started.future();
    }

    /**
     * Enqueues a batch whose item ids have been resolved to {@code ordinals} (same positions).
     *
     * @param context where to complete the returned future, or {@code null} for the applier thread
     * @return the number of events applied, once they are
     */
    public Future<Integer> submit(final EventBatch batch, final int[] ordinals, final Context context) {
        return submitLogged(batch, ordinals, context).map(position -> batch.count());
    }

    /**
     * As {@link #submit}, but completes with the event-log position just after the batch (once it is durable and
     * applied), or {@link EventIntake.Accepted#NO_LOG} without a log.
     */
    public Future<Long> submitLogged(final EventBatch batch, final int[] ordinals, final Context context) {
        if (!running) {
            return Future.failedFuture(VertxException.noStackTrace("event applier is closed"));
        }
        final Promise<Long> promise = Promise.promise();
        if (!queue.offer(new Task(batch, ordinals, promise, context))) {
            return Future.failedFuture(VertxException.noStackTrace(QUEUE_FULL));
        }
        return promise.future();
    }

    /** Batches waiting to be applied (queued, or appended and waiting to be durable). */
    public int queueDepth() {
        return queue.size() + appendedCount + (stalled != null ? 1 : 0);
    }

    /** Checks the log against the state and the bookkeeping file, replays it; false (and fails) when it cannot. */
    private boolean startUp() {
        if (log == null) {
            started.complete(0L);
            return true;
        }
        try {
            final String dataset = state.datasetIdentity();
            final AppliedPositionFile.Content previous = positions == null ? null : positions.read();
            if (previous != null && !previous.dataset().equals(dataset)) {
                throw new FunnelException("the event log next to " + positions.path() + " was written on top of the"
                        + " data set '" + previous.dataset() + "' but this server serves '" + dataset + "'; replaying"
                        + " it would mix events of another catalog: move that folder away or set ingest.dir elsewhere");
            }
            if (previous != null && previous.position() > log.endPosition()) {
                throw new FunnelException("the event log ends at position " + log.endPosition() + " but the previous"
                        + " run had already applied up to " + previous.position() + " (" + positions.path() + "):"
                        + " acknowledged events were lost (a power cut with ingest.fileSync: none, or files removed)."
                        + " To serve what is left, delete " + positions.path());
            }
            final long from = Math.max(log.startPosition(), state.logPosition());
            final long startNs = System.nanoTime();
            final long[] events = {0};
            final EventBatch batch = new EventBatch(256);
            final long records = log.replay(from, (buffer, offset, length, position) -> {
                events[0] += replayRecord(buffer, offset, length, batch);
                state.logPosition(position);
            });
            metrics.countIngestReplayed(events[0]);
            writePosition(true);
            LOG.info("replayed {} events in {} batches from the event log (positions {}..{}) in {} ms; the previous run"
                    + " had applied up to {}", events[0], records, from, log.endPosition(),
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs),
                    previous == null ? "none" : previous.position());
            started.complete(events[0]);
            return true;
        } catch (final RuntimeException e) {
            running = false;
            started.fail(e);
            return false;
        }
    }

    /** Applies one replayed record; events whose item left the catalog are skipped and counted. */
    private int replayRecord(final org.agrona.DirectBuffer buffer, final int offset, final int length,
            final EventBatch batch) {
        final int status = codec.decode(buffer, offset, length, 0, batch);
        if (status != EventBatchCodec.OK) {
            metrics.countIngestError("replay_" + EventBatchCodec.statusName(status));
            LOG.error("skipped an undecodable record of {} bytes in the event log: {}", length,
                    EventBatchCodec.statusName(status));
            return 0;
        }
        final int[] ordinals = new int[batch.count()];
        int known = 0;
        for (int i = 0; i < batch.count(); i++) {
            ordinals[i] = state.store().ordinalOf(batch.itemId(i));
            if (ordinals[i] >= 0) {
                known++;
            }
        }
        if (known < batch.count()) {
            metrics.countIngestError("replay_unknown_item");
        }
        apply(batch, ordinals);
        return known;
    }

    private void run() {
        while (running || !queue.isEmpty() || !appended.isEmpty() || stalled != null) {
            int work = log == null ? applyQueued() : appendQueued() + applyDurable();
            final long now = System.nanoTime();
            if (now - lastRefreshNs >= refreshNs) {
                lastRefreshNs = now;
                state.popularity().refresh(Math.max(System.currentTimeMillis(), state.popularity().lastEventMs()));
                work++;
            }
            if (log != null && now - lastPositionWriteNs >= POSITION_WRITE_INTERVAL_NS) {
                lastPositionWriteNs = now;
                writePosition(false);
            }
            idle.idle(work);
        }
        if (log != null) {
            writePosition(true);
        }
    }

    /** Without a log: apply and complete in arrival order. */
    private int applyQueued() {
        final Task task = queue.relaxedPoll();
        if (task == null) {
            return 0;
        }
        applyAndComplete(task);
        return 1;
    }

    /** Appends queued batches to the log until it pushes back. */
    private int appendQueued() {
        int work = 0;
        while (true) {
            final Task task;
            final int length;
            if (stalled != null) {
                task = stalled;
                length = stalledLength;
            } else {
                task = queue.relaxedPoll();
                if (task == null) {
                    return work;
                }
                scratch.checkLimit(EventBatchCodec.encodedLength(task.batch.count()));
                length = codec.encode(task.batch, 0, scratch, 0);
            }
            final long result = log.append(scratch, 0, length);
            if (result == EventLog.RETRY) {
                stalled = task;
                stalledLength = length;
                return work;
            }
            stalled = null;
            work++;
            if (result < 0) {
                metrics.countIngestError("append_failed");
                complete(task, new FunnelException("events could not be made durable: " + log.describe(result)));
                continue;
            }
            task.position = result;
            metrics.countIngestAppended(task.batch.count());
            appended.addLast(task);
            appendedCount = appended.size();
        }
    }

    /** Applies and acknowledges, in log order, every appended batch the log's durable position now covers. */
    private int applyDurable() {
        if (appended.isEmpty()) {
            return 0;
        }
        final long durable = log.durablePosition();
        int work = 0;
        Task task;
        while ((task = appended.peekFirst()) != null && task.position <= durable) {
            appended.pollFirst();
            applyAndComplete(task);
            work++;
        }
        appendedCount = appended.size();
        return work;
    }

    private void applyAndComplete(final Task task) {
        try {
            apply(task.batch, task.ordinals);
            if (task.position >= 0) {
                state.logPosition(task.position);
            }
            metrics.recordIngestAck(task.batch.count(), System.nanoTime() - task.submitNs);
            complete(task, null);
        } catch (final RuntimeException e) {
            LOG.error("applying a batch of {} events failed", task.batch.count(), e);
            if (task.position >= 0) {
                state.logPosition(task.position); // the batch is in the log: never re-apply it to this state
            }
            complete(task, e);
        }
    }

    private void writePosition(final boolean force) {
        final long position = Math.max(state.logPosition(), log.startPosition());
        if (positions == null || (!force && position == writtenPosition)) {
            return;
        }
        try {
            positions.write(position, state.datasetIdentity());
            writtenPosition = position;
        } catch (final FunnelException e) {
            metrics.countIngestError("position_write");
            LOG.warn("{}", e.getMessage());
        }
    }

    private void complete(final Task task, final Throwable failure) {
        final Runnable done = failure == null
                ? () -> task.promise.complete(task.position)
                : () -> task.promise.fail(failure);
        if (task.context != null) {
            task.context.runOnContext(v -> done.run());
        } else {
            done.run();
        }
    }

    /**
     * Applies one batch on the applier thread. Public for offline replay and tests, which own the state. An ordinal
     * below 0 skips that event.
     */
    public void apply(final EventBatch batch, final int[] ordinals) {
        final var writer = state.store().writer();
        int applied = 0;
        for (int i = 0; i < batch.count(); i++) {
            final int ordinal = ordinals[i];
            if (ordinal < 0) {
                continue;
            }
            applied++;
            final EventType type = batch.type(i);
            final long userId = batch.userId(i);
            writer.recordInteraction(userId, ordinal, batch.tsMs(i), type.weight());
            state.popularity().record(ordinal, type.weight(), batch.tsMs(i));
            state.seen().add(userId, ordinal); // every interaction, impressions included, counts as seen
            // Exploration: views are impressions (reward 0), everything else a success (reward 1).
            final boolean success = type != EventType.VIEW;
            state.bandit().record(ordinal, success);
            state.store().readUser(userId, userRow);
            RankFeatures.categoryShares(userRow, state.attributes().categories(), categoryShare);
            ExplorationFeatures.fill(context, ordinal, batch.tsMs(i), state.popularity(), state.attributes(),
                    categoryShare);
            state.linUcb().update(context, success ? 1f : 0f);
        }
        metrics.countEvents(applied);
    }

    /**
     * Stops accepting, appends and applies what is queued (waiting for it to be durable), writes the applied position
     * and stops the thread (waits up to 10 s). Close the log after this.
     */
    @Override
    public void close() {
        running = false;
        try {
            thread.join(10_000);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            LOG.warn("the event applier did not finish within 10 s ({} batches left)", queueDepth());
        }
    }
}
