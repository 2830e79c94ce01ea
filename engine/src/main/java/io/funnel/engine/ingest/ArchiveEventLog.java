package io.funnel.engine.ingest;

import io.aeron.Aeron;
import io.aeron.ChannelUriStringBuilder;
import io.aeron.ExclusivePublication;
import io.aeron.FragmentAssembler;
import io.aeron.Image;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.archive.client.AeronArchive;
import io.aeron.archive.codecs.SourceLocation;
import io.aeron.archive.status.RecordingPos;
import io.funnel.engine.FunnelException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.status.CountersReader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The durable {@link EventLog}: one Aeron Archive recording of an exclusive IPC publication, in
 * {@code <dir>/archive}. Each start extends the same recording, so log positions keep growing across restarts and one
 * position names one record for the life of the log.
 *
 * <p><b>What "durable" means.</b> {@link #durablePosition()} is the archive's recorded position (its
 * {@code RecordingPos} counter), which the archive advances only after the bytes are written to the segment file and,
 * with {@code fileSyncLevel} 1 or 2, forced to the disk ({@code fdatasync}/{@code fsync}). With level 0 a record
 * below that position is in the kernel's page cache: it survives the process being killed (even SIGKILL) but not the
 * machine losing power. With level 1 or 2 it also survives a power loss, as far as the disk honours a flush.
 *
 * <p>After a crash the archive recovers the recording's end from its segment files at start-up; the recording is
 * then extended from exactly there.
 *
 * <p>The folder is locked ({@code <dir>/lock}, an OS file lock, released by the kernel when the process dies) so two
 * servers never write one log.
 *
 * <p>Threading: as {@link EventLog}: one appending thread; {@link #durablePosition()} from any thread.
 */
public final class ArchiveEventLog implements EventLog {
    /** Stream id of the log publication and its recording. */
    static final int LOG_STREAM_ID = 7101;
    /** Session id of the log publication: fixed, so the recording subscription matches only it. */
    static final int LOG_SESSION_ID = 0x464e4c31;
    private static final int REPLAY_STREAM_ID = 7102;
    private static final String IPC = "aeron:ipc";
    private static final long TIMEOUT_NS = TimeUnit.SECONDS.toNanos(30);
    private static final Logger LOG = LoggerFactory.getLogger(ArchiveEventLog.class);

    private final Path dir;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final EmbeddedAeron media;
    private final AeronArchive archive;
    private final IdleStrategy idle;
    private final long startPosition;
    private final long endPosition;
    private final long recordingId;
    private final long recordingSubscriptionId;
    private final ExclusivePublication publication;
    private final CountersReader counters;
    private final int recordingCounterId;
    private volatile boolean closed;

    /** What the catalog says about the log's recording, or {@code id == -1} when there is none yet. */
    private record Descriptor(long id, long start, long stop, int initialTermId, int termLength) {}

    private ArchiveEventLog(final Path dir, final FileChannel lockChannel, final FileLock lock,
            final EmbeddedAeron media, final AeronArchive archive, final Descriptor existing, final int termLength,
            final IdleStrategy idle) {
        this.dir = dir;
        this.lockChannel = lockChannel;
        this.lock = lock;
        this.media = media;
        this.archive = archive;
        this.idle = idle;
        final Aeron aeron = media.aeron();
        this.counters = aeron.countersReader();
        final ChannelUriStringBuilder channel = new ChannelUriStringBuilder().media("ipc").sessionId(LOG_SESSION_ID);
        if (existing.id() >= 0) {
            // Continue the recording: the new publication starts where the recording stopped, with its term layout.
            channel.termLength(existing.termLength())
                    .initialPosition(existing.stop(), existing.initialTermId(), existing.termLength());
            recordingSubscriptionId = archive.extendRecording(existing.id(), channel.build(), LOG_STREAM_ID,
                    SourceLocation.LOCAL);
            startPosition = existing.start();
            endPosition = existing.stop();
        } else {
            channel.termLength(termLength);
            recordingSubscriptionId = archive.startRecording(channel.build(), LOG_STREAM_ID, SourceLocation.LOCAL);
            startPosition = 0;
            endPosition = 0;
        }
        publication = aeron.addExclusivePublication(channel.build(), LOG_STREAM_ID);
        recordingCounterId = awaitRecordingCounter();
        recordingId = RecordingPos.getRecordingId(counters, recordingCounterId);
        if (existing.id() >= 0 && recordingId != existing.id()) {
            throw new FunnelException("the archive in " + dir + " recorded the log as recording " + recordingId
                    + " instead of extending recording " + existing.id());
        }
    }

    /**
     * Opens (or creates) the log in {@code dir}: locks the folder, launches the embedded media driver and archive,
     * finds the log's recording and extends it (or starts it).
     *
     * @param aeronDir      the driver directory, or empty for a fresh one per instance
     * @param fileSyncLevel 0 (page cache), 1 (fdatasync) or 2 (fsync) — see the class comment
     * @param termLength    term length of a new log's publication, bytes (an existing log keeps its own)
     * @param segmentLength recording segment file length, bytes
     * @param maxParkMicros longest sleep of the idle driver, archive and waiting threads, microseconds
     * @throws FunnelException naming the folder when it cannot be created or written, is in use by another process,
     *                         or the archive cannot start
     */
    public static ArchiveEventLog open(final Path dir, final String aeronDir, final int fileSyncLevel,
            final int termLength, final int segmentLength, final int maxParkMicros) {
        final Path absolute = dir.toAbsolutePath();
        try {
            Files.createDirectories(absolute.resolve("archive"));
        } catch (final IOException e) {
            throw new FunnelException("cannot create the event log folder " + absolute + " (ingest.dir): " + e, e);
        }
        if (!Files.isWritable(absolute) || !Files.isWritable(absolute.resolve("archive"))) {
            throw new FunnelException("the event log folder " + absolute + " (ingest.dir) is not writable");
        }
        FileChannel lockChannel = null;
        EmbeddedAeron media = null;
        AeronArchive archive = null;
        try {
            lockChannel = FileChannel.open(absolute.resolve("lock"), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE);
            final FileLock lock;
            try {
                lock = lockChannel.tryLock();
            } catch (final OverlappingFileLockException e) {
                throw new FunnelException("the event log " + absolute + " is already open in this process");
            }
            if (lock == null) {
                throw new FunnelException("the event log " + absolute + " (ingest.dir) is in use by another process;"
                        + " point ingest.dir elsewhere or stop that server");
            }
            media = EmbeddedAeron.launchWithArchive(aeronDir, absolute.resolve("archive"), fileSyncLevel,
                    segmentLength, maxParkMicros);
            archive = AeronArchive.connect(new AeronArchive.Context()
                    .aeron(media.aeron())
                    .ownsAeronClient(false)
                    .controlRequestChannel(IPC)
                    .controlResponseChannel(IPC));
            final Descriptor existing = find(archive);
            if (existing.id() >= 0) {
                LOG.info("event log {}: recording {} holds positions {}..{}", absolute, existing.id(),
                        existing.start(), existing.stop());
            } else {
                LOG.info("event log {}: new recording", absolute);
            }
            return new ArchiveEventLog(absolute, lockChannel, lock, media, archive, existing, termLength,
                    EmbeddedAeron.idle(maxParkMicros));
        } catch (final IOException e) {
            CloseHelper.quietCloseAll(archive, media, lockChannel);
            throw new FunnelException("cannot lock the event log folder " + absolute + ": " + e, e);
        } catch (final RuntimeException e) {
            CloseHelper.quietCloseAll(archive, media, lockChannel);
            if (e instanceof FunnelException) {
                throw e;
            }
            throw new FunnelException("cannot open the event log in " + absolute + " (ingest.dir): " + e, e);
        }
    }

    private static Descriptor find(final AeronArchive archive) {
        final Descriptor[] found = {new Descriptor(-1, 0, 0, 0, 0)};
        archive.listRecordingsForUri(0, Integer.MAX_VALUE, IPC, LOG_STREAM_ID,
                (controlSessionId, correlationId, recordingId, startTimestamp, stopTimestamp, startPosition,
                        stopPosition, initialTermId, segmentFileLength, termBufferLength, mtuLength, sessionId,
                        streamId, strippedChannel, originalChannel, sourceIdentity) -> {
                    if (sessionId == LOG_SESSION_ID && recordingId > found[0].id()) {
                        found[0] = new Descriptor(recordingId, startPosition, stopPosition, initialTermId,
                                termBufferLength);
                    }
                });
        final Descriptor d = found[0];
        if (d.id() >= 0 && d.stop() == AeronArchive.NULL_POSITION) {
            throw new FunnelException("recording " + d.id() + " of the event log has no end position; it is still"
                    + " being recorded elsewhere or the catalog is damaged");
        }
        return d;
    }

    private int awaitRecordingCounter() {
        final long deadline = System.nanoTime() + TIMEOUT_NS;
        idle.reset();
        int counterId;
        while ((counterId = RecordingPos.findCounterIdBySession(counters, LOG_SESSION_ID,
                archive.archiveId())) == CountersReader.NULL_COUNTER_ID) {
            if (System.nanoTime() > deadline) {
                throw new FunnelException("the archive did not start recording the event log within 30 s");
            }
            idle.idle();
        }
        return counterId;
    }

    @Override
    public long append(final DirectBuffer buffer, final int offset, final int length) {
        final long result = publication.offer(buffer, offset, length);
        if (result > 0) {
            return result;
        }
        if (result == Publication.BACK_PRESSURED || result == Publication.ADMIN_ACTION
                || result == Publication.NOT_CONNECTED && !closed && !publication.isClosed()) {
            return RETRY;
        }
        return result;
    }

    @Override
    public long durablePosition() {
        return counters.getCounterValue(recordingCounterId);
    }

    @Override
    public long startPosition() {
        return startPosition;
    }

    @Override
    public long endPosition() {
        return endPosition;
    }

    /** The recording's id in the archive's catalog. */
    public long recordingId() {
        return recordingId;
    }

    /** The embedded driver and its client (the ingress stream shares them). */
    public EmbeddedAeron media() {
        return media;
    }

    @Override
    public long replay(final long fromPosition, final RecordHandler handler) {
        if (fromPosition < startPosition || fromPosition > endPosition) {
            throw new FunnelException("cannot replay the event log " + dir + " from position " + fromPosition
                    + ": it holds " + startPosition + ".." + endPosition);
        }
        if (fromPosition == endPosition) {
            return 0;
        }
        final long[] records = {0};
        final FragmentAssembler assembler = new FragmentAssembler((buffer, offset, length, header) -> {
            records[0]++;
            handler.onRecord(buffer, offset, length, header.position());
        });
        try (Subscription subscription = media.aeron().addSubscription(IPC, REPLAY_STREAM_ID)) {
            final int sessionId = (int) archive.startReplay(recordingId, fromPosition, endPosition - fromPosition,
                    IPC, REPLAY_STREAM_ID);
            long deadline = System.nanoTime() + TIMEOUT_NS;
            Image image;
            idle.reset();
            while ((image = subscription.imageBySessionId(sessionId)) == null) {
                if (System.nanoTime() > deadline) {
                    throw new FunnelException("the replay of the event log " + dir + " did not start within 30 s");
                }
                idle.idle();
            }
            long lastProgress = image.position();
            while (image.position() < endPosition) {
                final int fragments = image.poll(assembler, 256);
                if (fragments > 0) {
                    lastProgress = image.position();
                    deadline = System.nanoTime() + TIMEOUT_NS;
                } else if (image.isClosed() || image.isEndOfStream()) {
                    break;
                } else if (System.nanoTime() > deadline) {
                    throw new FunnelException("the replay of the event log " + dir + " stalled at position "
                            + lastProgress + " of " + endPosition);
                }
                idle.idle(fragments);
            }
            if (image.position() < endPosition) {
                throw new FunnelException("the replay of the event log " + dir + " ended at position "
                        + image.position() + " before the end of the log, " + endPosition);
            }
        }
        return records[0];
    }

    @Override
    public String describe(final long status) {
        if (status == RETRY) {
            return "retry";
        }
        if (status == Publication.CLOSED || closed) {
            return "the event log is closed";
        }
        if (status == Publication.MAX_POSITION_EXCEEDED) {
            return "the event log reached its largest position";
        }
        if (status == Publication.NOT_CONNECTED) {
            return "the archive is not recording the event log";
        }
        return "the event log refused the record (status " + status + ")";
    }

    /**
     * Stops the recording (what is recorded stays), then the archive and the media driver, and releases the lock.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            CloseHelper.quietClose(publication);
            try {
                archive.stopRecording(recordingSubscriptionId);
            } catch (final RuntimeException e) {
                LOG.debug("stopping the recording of the event log: {}", e.toString());
            }
        } finally {
            CloseHelper.quietCloseAll(archive, media);
            try {
                lock.release();
            } catch (final IOException e) {
                LOG.debug("releasing the event log lock: {}", e.toString());
            }
            CloseHelper.quietClose(lockChannel);
        }
    }
}
