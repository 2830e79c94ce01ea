package io.funnel.engine.ingest;

import io.funnel.codecs.EventBatch;
import io.funnel.codecs.EventType;
import io.funnel.engine.metrics.FunnelMetrics;
import io.funnel.engine.offline.ServingState;
import io.funnel.engine.pipeline.RankFeatures;
import io.funnel.engine.rerank.ExplorationFeatures;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VertxException;
import java.util.concurrent.TimeUnit;
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
 * <p>Threading: {@link #submit} may be called from any thread (it only enqueues); everything else runs on the
 * applier thread. A full queue fails the submit at once with {@link #QUEUE_FULL} (the HTTP layer answers 503).
 */
public final class EventApplier implements AutoCloseable {
    /** Failure message when the queue is full; callers map it to 503. */
    public static final String QUEUE_FULL = "event queue is full";
    private static final Logger LOG = LoggerFactory.getLogger(EventApplier.class);

    private final ServingState state;
    private final FunnelMetrics metrics;
    private final MpscArrayQueue<Task> queue;
    private final long refreshNs;
    private final Thread thread;
    private volatile boolean running = true;
    private long lastRefreshNs;
    // Applier-thread scratch for the exploration model's context.
    private final io.funnel.features.UserRow userRow;
    private final float[] categoryShare;
    private final float[] context = new float[ExplorationFeatures.WIDTH];

    /** A batch whose items are already resolved to ordinals, plus who to tell when it is applied. */
    private record Task(EventBatch batch, int[] ordinals, Promise<Integer> promise, Context context) {}

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
        this.state = state;
        this.metrics = metrics;
        this.queue = new MpscArrayQueue<>(queueCapacity);
        this.refreshNs = TimeUnit.MILLISECONDS.toNanos(refreshMillis);
        this.lastRefreshNs = System.nanoTime();
        this.userRow = new io.funnel.features.UserRow(state.store().dimension());
        this.categoryShare = new float[Math.max(1, state.categoryCount())];
        this.thread = new Thread(() -> {
            onStart.run();
            run();
        }, "funnel-event-applier");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    /**
     * Enqueues a batch whose item ids have been resolved to {@code ordinals} (same positions).
     *
     * @param context where to complete the returned future, or {@code null} for the applier thread
     * @return the number of events applied, once they are
     */
    public Future<Integer> submit(final EventBatch batch, final int[] ordinals, final Context context) {
        final Promise<Integer> promise = Promise.promise();
        if (!running) {
            return Future.failedFuture(VertxException.noStackTrace("event applier is closed"));
        }
        if (!queue.offer(new Task(batch, ordinals, promise, context))) {
            return Future.failedFuture(VertxException.noStackTrace(QUEUE_FULL));
        }
        return promise.future();
    }

    /** Batches waiting to be applied. */
    public int queueDepth() {
        return queue.size();
    }

    private void run() {
        final IdleStrategy idle = new BackoffIdleStrategy(1, 10, 1_000, 1_000_000);
        while (running || !queue.isEmpty()) {
            final Task task = queue.relaxedPoll();
            int work = 0;
            if (task != null) {
                work = 1;
                try {
                    apply(task.batch(), task.ordinals());
                    complete(task, null);
                } catch (final RuntimeException e) {
                    LOG.error("applying a batch of {} events failed", task.batch().count(), e);
                    complete(task, e);
                }
            }
            final long now = System.nanoTime();
            if (now - lastRefreshNs >= refreshNs) {
                lastRefreshNs = now;
                state.popularity().refresh(Math.max(System.currentTimeMillis(), state.popularity().lastEventMs()));
                work = 1;
            }
            idle.idle(work);
        }
    }

    private void complete(final Task task, final Throwable failure) {
        final Runnable done = failure == null
                ? () -> task.promise().complete(task.batch().count())
                : () -> task.promise().fail(failure);
        if (task.context() != null) {
            task.context().runOnContext(v -> done.run());
        } else {
            done.run();
        }
    }

    /** Applies one batch on the applier thread. Public for offline replay and tests, which own the state. */
    public void apply(final EventBatch batch, final int[] ordinals) {
        final var writer = state.store().writer();
        for (int i = 0; i < batch.count(); i++) {
            final int ordinal = ordinals[i];
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
        metrics.countEvents(batch.count());
    }

    /** Stops accepting, applies what is queued, and stops the thread (waits up to 5 s). */
    @Override
    public void close() {
        running = false;
        try {
            thread.join(5_000);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
