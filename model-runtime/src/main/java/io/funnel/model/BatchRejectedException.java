package io.funnel.model;

/**
 * Why the {@link MicroBatcher} did not score a request: an expected outcome on the hot path, so the instances are
 * shared singletons without a stack trace (no exception storm when the queue is full). The caller reacts to
 * {@link #reason()}, typically by keeping the pre-rank order.
 */
public final class BatchRejectedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The expected reasons for not scoring a request. */
    public enum Reason {
        /** The batcher's bounded queue was full when the request arrived. */
        QUEUE_FULL,
        /** The request's deadline had passed before its batch ran. */
        DEADLINE_EXCEEDED,
        /** The batcher is closed. */
        CLOSED
    }

    /** The batcher's queue was full. */
    public static final BatchRejectedException QUEUE_FULL = new BatchRejectedException(Reason.QUEUE_FULL);
    /** The request's deadline passed before it could be scored. */
    public static final BatchRejectedException DEADLINE_EXCEEDED =
            new BatchRejectedException(Reason.DEADLINE_EXCEEDED);
    /** The batcher was closed. */
    public static final BatchRejectedException CLOSED = new BatchRejectedException(Reason.CLOSED);

    private final Reason reason;

    private BatchRejectedException(final Reason reason) {
        super("rank request not scored: " + reason, null, false, false);
        this.reason = reason;
    }

    /** Why the request was not scored. */
    public Reason reason() {
        return reason;
    }

    /** The reason carried by {@code failure}, or {@code null} when it is not a rejection (an unexpected error). */
    public static Reason reasonOf(final Throwable failure) {
        return failure instanceof BatchRejectedException r ? r.reason : null;
    }
}
