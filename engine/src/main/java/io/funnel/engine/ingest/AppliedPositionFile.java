package io.funnel.engine.ingest;

import io.funnel.engine.FunnelException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The event log's bookkeeping file, {@code <ingest.dir>/applied-position}: the last log position the event applier
 * applied (a high-water mark, written after applying) and the identity of the data set the log was written on top of.
 * Replaced atomically (write a temporary file, then rename), so a reader sees the old or the new content, never a mix.
 *
 * <p>It is not what makes replay exactly-once — the serving state carries its own applied position (see
 * {@code EventApplier}) — but it lets a start-up check that the log still holds everything that was applied before
 * (a shorter log means acknowledged events were lost, e.g. to a power cut with {@code ingest.fileSync: none}) and
 * that the log belongs to the data set being served.
 *
 * <p>Threading: not thread-safe; the applier thread owns it.
 */
public final class AppliedPositionFile {
    /** What a log without a file yet reports. */
    public static final long NONE = -1;
    private static final String MAGIC = "funnel-applied-position 1";

    private final Path file;
    private final Path temporary;

    /** The file's content. */
    public record Content(long position, String dataset) {}

    public AppliedPositionFile(final Path dir) {
        this.file = dir.resolve("applied-position");
        this.temporary = dir.resolve("applied-position.tmp");
    }

    /** Where it lives. */
    public Path path() {
        return file;
    }

    /**
     * Reads the file.
     *
     * @return the content, or {@code null} when there is no file
     * @throws FunnelException naming the file and what is wrong when it is damaged
     */
    public Content read() {
        final String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (final NoSuchFileException e) {
            return null;
        } catch (final IOException e) {
            throw new FunnelException("cannot read " + file + ": " + e, e);
        }
        final String[] lines = text.split("\n", -1);
        if (lines.length != 4 || !lines[0].equals(MAGIC) || !lines[1].startsWith("position=")
                || !lines[2].startsWith("dataset=") || !lines[3].isEmpty()) {
            throw corrupt("expected the lines '" + MAGIC + "', 'position=<n>', 'dataset=<id>'");
        }
        final long position;
        try {
            position = Long.parseLong(lines[1].substring("position=".length()));
        } catch (final NumberFormatException e) {
            throw corrupt("position is not a number: '" + lines[1] + "'");
        }
        if (position < 0) {
            throw corrupt("position is negative: " + position);
        }
        return new Content(position, lines[2].substring("dataset=".length()));
    }

    private FunnelException corrupt(final String why) {
        return new FunnelException(file + " is corrupt (" + why + "); it only records how far the previous run"
                + " applied the event log, so deleting it is safe: the whole log is replayed on top of the data set"
                + " at every start");
    }

    /**
     * Replaces the file's content atomically (without an fsync: a crash may leave the previous content, which is
     * only a lower high-water mark).
     */
    public void write(final long position, final String dataset) {
        if (dataset.indexOf('\n') >= 0) {
            throw new IllegalArgumentException("a data set identity cannot hold a line break: " + dataset);
        }
        final byte[] bytes = (MAGIC + "\nposition=" + position + "\ndataset=" + dataset + "\n")
                .getBytes(StandardCharsets.UTF_8);
        try {
            Files.write(temporary, bytes);
            try {
                Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (final AtomicMoveNotSupportedException e) {
                Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (final IOException e) {
            throw new FunnelException("cannot write " + file + ": " + e, e);
        }
    }
}
