package io.funnel.engine.ingest;

import org.agrona.DirectBuffer;

/**
 * An append-only log of encoded event batches that tells how far it is durable, and replays what it holds. The event
 * applier appends each batch here and applies it (and acknowledges it) only once {@link #durablePosition()} covers
 * it; at start-up it replays the log on top of the state built from the data set.
 *
 * <p>Positions are byte offsets in the log, increasing; a batch's position is the position just after it.
 *
 * <p>Threading: {@link #append} and {@link #replay} are called from one thread (the applier's);
 * {@link #durablePosition()} from any thread.
 */
public interface EventLog extends AutoCloseable {
    /** {@link #append} status: the log is momentarily full or busy; offer the same record again later. */
    long RETRY = -2;

    /**
     * Appends one record.
     *
     * @return the position just after the record (positive), {@link #RETRY}, or another negative status meaning the
     *         record was refused for good (the log is closed or broken; {@link #describe(long)} says why)
     */
    long append(DirectBuffer buffer, int offset, int length);

    /** Position up to which appended records are durable (what an acknowledgement may promise). */
    long durablePosition();

    /** Position of the first record the log holds. */
    long startPosition();

    /** Position just after the last record the log held when it was opened (the end of what {@link #replay} reads). */
    long endPosition();

    /**
     * Reads every record from {@code fromPosition} (a record boundary, at least {@link #startPosition()}) to
     * {@link #endPosition()}, in order, on the calling thread; blocks until done.
     *
     * @return the number of records read
     */
    long replay(long fromPosition, RecordHandler handler);

    /** A short description of a negative {@link #append} status. */
    String describe(long status);

    /** Stops appending and releases the log's resources; records already durable stay so. */
    @Override
    void close();

    /** Receives replayed records. */
    @FunctionalInterface
    interface RecordHandler {
        /**
         * @param position the position just after this record
         */
        void onRecord(DirectBuffer buffer, int offset, int length, long position);
    }
}
