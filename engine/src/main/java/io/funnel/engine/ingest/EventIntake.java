package io.funnel.engine.ingest;

import io.funnel.codecs.BadInputException;
import io.funnel.codecs.EventBatch;
import io.funnel.features.FeatureStore;
import io.vertx.core.Context;
import io.vertx.core.Future;

/**
 * The one way feedback events enter a running server, whatever carried them (HTTP/JSON, binary frames, an Aeron
 * stream): validate the batch against the catalog, hand it to the single writer, and tell the caller how many events
 * were accepted once they are. Transports translate their own wire format into an {@link EventBatch} and the
 * outcome back into theirs; they never talk to the applier directly.
 *
 * <p>Threading: {@link #submit} may be called from any thread (typically an event loop); it never blocks.
 */
public final class EventIntake {
    /**
     * What an accepted batch yields: its number of events and the event-log position just after it ({@link #NO_LOG}
     * without a durable log).
     */
    public record Accepted(int events, long logPosition) {
        /** Position reported when no durable log is configured. */
        public static final long NO_LOG = -1L;
    }

    private final FeatureStore store;
    private final EventApplier applier;

    /**
     * @param store   resolves item ids to ordinals (the catalog)
     * @param applier the single writer of the serving state
     */
    public EventIntake(final FeatureStore store, final EventApplier applier) {
        this.store = store;
        this.applier = applier;
    }

    /**
     * Validates {@code batch} and submits it.
     *
     * @param batch   the events; ownership passes to the intake (do not reuse or pool it)
     * @param context where to complete the returned future, or {@code null} for the applier thread
     * @return completes once the batch is applied — and, with a durable log ({@code ingest.durable}), only after it
     *         is recorded in the log, with the log position just after it; fails with {@link EventApplier#QUEUE_FULL}
     *         when the server is overloaded (callers answer "retry later")
     * @throws BadInputException (422) naming {@code events[i].itemId} when an item is not in the catalog; nothing of
     *                           the batch is submitted then
     */
    public Future<Accepted> submit(final EventBatch batch, final Context context) throws BadInputException {
        final int[] ordinals = new int[batch.count()];
        for (int i = 0; i < batch.count(); i++) {
            ordinals[i] = store.ordinalOf(batch.itemId(i));
            if (ordinals[i] < 0) {
                throw new BadInputException(422, "events[" + i + "].itemId", "events[" + i + "].itemId "
                        + batch.itemId(i) + " is not in the catalog");
            }
        }
        return applier.submitLogged(batch, ordinals, context).map(position -> new Accepted(batch.count(), position));
    }

    /** Batches waiting to be applied. */
    public int queueDepth() {
        return applier.queueDepth();
    }
}
