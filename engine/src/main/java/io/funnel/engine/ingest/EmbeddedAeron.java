package io.funnel.engine.ingest;

import io.aeron.Aeron;
import io.aeron.archive.Archive;
import io.aeron.archive.ArchiveThreadingMode;
import io.aeron.archive.ArchivingMediaDriver;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import java.io.File;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.agrona.CloseHelper;
import org.agrona.IoUtil;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Aeron media driver embedded in the server process — with an Aeron Archive when the event log is durable — and
 * one Aeron client connected to it.
 *
 * <p>Sized for a small shared machine: the driver runs all its agents on one thread ({@link ThreadingMode#SHARED})
 * and so does the archive ({@link ArchiveThreadingMode#SHARED}), both with a back-off idle strategy that parks up to
 * {@code idleMaxParkMicros}, so an idle server sleeps instead of spinning. Each instance gets its own driver
 * directory, {@code <aeron base>/funnel-<pid>-<n>} (under {@code /dev/shm} on Linux), deleted on {@link #close()};
 * directories left behind by killed processes (their pid is gone) are deleted at the next launch. A configured
 * directory ({@code ingest.aeronDir}) is used instead, for IPC publishers in other processes to find.
 *
 * <p>Threading: launch and close from one thread; {@link #aeron()} is thread-safe (Aeron's client is).
 */
public final class EmbeddedAeron implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedAeron.class);
    private static final String PREFIX = "funnel-";
    private static final AtomicLong INSTANCES = new AtomicLong();

    private final MediaDriver driver;
    private final ArchivingMediaDriver archivingDriver;
    private final Aeron aeron;
    private final File directory;

    private EmbeddedAeron(final MediaDriver driver, final ArchivingMediaDriver archivingDriver, final Aeron aeron,
            final File directory) {
        this.driver = driver;
        this.archivingDriver = archivingDriver;
        this.aeron = aeron;
        this.directory = directory;
    }

    /** An idle strategy that spins briefly, yields, then parks from 1 µs up to {@code maxParkMicros}. */
    public static IdleStrategy idle(final int maxParkMicros) {
        return new BackoffIdleStrategy(10, 20, TimeUnit.MICROSECONDS.toNanos(1),
                TimeUnit.MICROSECONDS.toNanos(maxParkMicros));
    }

    /**
     * Launches a driver without an archive (the ingress stream alone, when the log is not durable).
     *
     * @param directory     the driver directory, or empty for a fresh one per instance
     * @param maxParkMicros longest sleep of the idle driver thread, microseconds
     */
    public static EmbeddedAeron launch(final String directory, final int maxParkMicros) {
        final File dir = newDirectory(directory);
        final MediaDriver driver = MediaDriver.launch(driverContext(dir, maxParkMicros));
        try {
            return new EmbeddedAeron(driver, null, connect(dir), dir);
        } catch (final RuntimeException e) {
            CloseHelper.quietClose(driver);
            throw e;
        }
    }

    /**
     * Launches a driver and an archive recording into {@code archiveDir}.
     *
     * @param directory     the driver directory, or empty for a fresh one per instance
     * @param fileSyncLevel Aeron Archive's {@code fileSyncLevel}: 0 none, 1 data (fdatasync), 2 data and metadata
     * @param segmentBytes  recording segment file length, bytes (a power of two)
     */
    public static EmbeddedAeron launchWithArchive(final String directory, final Path archiveDir,
            final int fileSyncLevel, final int segmentBytes, final int maxParkMicros) {
        final File dir = newDirectory(directory);
        final Archive.Context archive = new Archive.Context()
                .archiveDir(archiveDir.toFile())
                // The mark file guards a live archive by its heartbeat, which a killed process leaves fresh for 10 s;
                // it lives in this process's own driver directory and the ingest directory is guarded by a file lock
                // instead (see ArchiveEventLog), so a restart right after a kill is not refused.
                .markFileDir(new File(dir, "archive-mark"))
                .aeronDirectoryName(dir.getAbsolutePath())
                .controlChannelEnabled(false) // local (IPC) control only: nothing listens on the network
                .replicationChannel("aeron:udp?endpoint=127.0.0.1:0")
                // The archive's own client (used only for replication, which Funnel does not use) needs a channel.
                .archiveClientContext(new io.aeron.archive.client.AeronArchive.Context()
                        .controlResponseChannel("aeron:udp?endpoint=127.0.0.1:0"))
                .recordingEventsEnabled(false)
                .threadingMode(ArchiveThreadingMode.SHARED)
                .idleStrategySupplier(() -> idle(maxParkMicros))
                .fileSyncLevel(fileSyncLevel)
                .catalogFileSyncLevel(fileSyncLevel)
                .segmentFileLength(segmentBytes)
                .deleteArchiveOnStart(false);
        final ArchivingMediaDriver launched = ArchivingMediaDriver.launch(driverContext(dir, maxParkMicros), archive);
        try {
            return new EmbeddedAeron(null, launched, connect(dir), dir);
        } catch (final RuntimeException e) {
            CloseHelper.quietClose(launched);
            throw e;
        }
    }

    private static MediaDriver.Context driverContext(final File dir, final int maxParkMicros) {
        return new MediaDriver.Context()
                .aeronDirectoryName(dir.getAbsolutePath())
                .dirDeleteOnStart(true)
                .dirDeleteOnShutdown(true)
                .threadingMode(ThreadingMode.SHARED)
                .sharedIdleStrategy(idle(maxParkMicros))
                .termBufferSparseFile(true)
                // Defaults are 64 MiB IPC / 16 MiB UDP terms (x3 per stream, in /dev/shm): far more than events need.
                .ipcTermBufferLength(4 << 20)
                .publicationTermBufferLength(4 << 20)
                .warnIfDirectoryExists(false);
    }

    private static Aeron connect(final File dir) {
        return Aeron.connect(new Aeron.Context().aeronDirectoryName(dir.getAbsolutePath()));
    }

    private static File newDirectory(final String configured) {
        if (configured != null && !configured.isEmpty()) {
            return new File(configured).getAbsoluteFile();
        }
        final Path base = Path.of(io.aeron.CommonContext.getAeronDirectoryName()).getParent();
        deleteStale(base);
        return base.resolve(PREFIX + ProcessHandle.current().pid() + "-" + INSTANCES.incrementAndGet()).toFile();
    }

    /** Deletes driver directories of Funnel processes that no longer run (a SIGKILL skips the clean-up). */
    private static void deleteStale(final Path base) {
        if (base == null || !Files.isDirectory(base)) {
            return;
        }
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(base, PREFIX + "*-*")) {
            for (final Path dir : dirs) {
                final String name = dir.getFileName().toString();
                final String pid = name.substring(PREFIX.length(), name.indexOf('-', PREFIX.length()));
                try {
                    if (ProcessHandle.of(Long.parseLong(pid)).isEmpty()) {
                        IoUtil.delete(dir.toFile(), true);
                        LOG.info("deleted the media driver directory {} of a process that is gone", dir);
                    }
                } catch (final NumberFormatException e) {
                    // not one of ours
                }
            }
        } catch (final IOException e) {
            LOG.warn("cannot list {} for stale media driver directories: {}", base, e.toString());
        }
    }

    /** The client connected to this driver. */
    public Aeron aeron() {
        return aeron;
    }

    /** The driver's directory (other processes on this machine connect through it). */
    public File directory() {
        return directory;
    }

    @Override
    public void close() {
        CloseHelper.closeAll(aeron, archivingDriver, driver);
        if (directory.exists()) {
            IoUtil.delete(directory, true);
        }
    }

}
