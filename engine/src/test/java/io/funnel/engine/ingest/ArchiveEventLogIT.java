package io.funnel.engine.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.funnel.engine.FunnelException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The Aeron Archive log on real files: durability position, reopen and extend, replay, the folder lock. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ArchiveEventLogIT {
    @TempDir
    Path dir;

    private static ArchiveEventLog open(final Path dir) {
        return ArchiveEventLog.open(dir, "", 0, 1 << 20, 1 << 20, 200);
    }

    private static long appendDurably(final ArchiveEventLog log, final byte[] record) throws InterruptedException {
        long position;
        while ((position = log.append(new UnsafeBuffer(record), 0, record.length)) == EventLog.RETRY) {
            Thread.sleep(1);
        }
        assertTrue(position > 0, "append refused: " + log.describe(position));
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (log.durablePosition() < position) {
            assertTrue(System.nanoTime() < deadline, "not durable within 10 s");
            Thread.sleep(1);
        }
        return position;
    }

    private static byte[] record(final int i, final int length) {
        final byte[] r = new byte[length];
        for (int j = 0; j < length; j++) {
            r[j] = (byte) (i * 31 + j);
        }
        return r;
    }

    @Test
    void reopensWhereItStoppedReplaysEveryRecordAndExtendsTheSameRecording() throws Exception {
        final List<Long> positions = new ArrayList<>();
        final long recordingId;
        try (ArchiveEventLog log = open(dir)) {
            assertEquals(0, log.startPosition());
            assertEquals(0, log.endPosition());
            recordingId = log.recordingId();
            for (int i = 0; i < 20; i++) {
                // Some records are larger than the MTU: fragmented on append, reassembled on replay.
                positions.add(appendDurably(log, record(i, i % 5 == 0 ? 5_000 : 40 + i)));
            }
        }
        try (ArchiveEventLog log = open(dir)) {
            assertEquals(recordingId, log.recordingId());
            assertEquals(positions.getLast(), log.endPosition());
            final List<Long> replayed = new ArrayList<>();
            final List<byte[]> bytes = new ArrayList<>();
            assertEquals(20, log.replay(0, (buffer, offset, length, position) -> {
                replayed.add(position);
                final byte[] copy = new byte[length];
                buffer.getBytes(offset, copy);
                bytes.add(copy);
            }));
            assertEquals(positions, replayed);
            for (int i = 0; i < 20; i++) {
                assertTrue(java.util.Arrays.equals(record(i, i % 5 == 0 ? 5_000 : 40 + i), bytes.get(i)), "record "
                        + i);
            }
            // From a record boundary: only what follows.
            final List<Long> tail = new ArrayList<>();
            assertEquals(5, log.replay(positions.get(14), (b, o, l, p) -> tail.add(p)));
            assertEquals(positions.subList(15, 20), tail);
            // Appending continues the positions of the same recording.
            final long next = appendDurably(log, record(99, 64));
            assertTrue(next > positions.getLast());
            positions.add(next);
        }
        try (ArchiveEventLog log = open(dir)) {
            assertEquals(positions.getLast(), log.endPosition());
            assertEquals(21, log.replay(0, (b, o, l, p) -> { }));
        }
    }

    @Test
    void aFolderInUseIsRefusedWithItsName() {
        try (ArchiveEventLog log = open(dir)) {
            final FunnelException e = assertThrows(FunnelException.class, () -> open(dir));
            assertTrue(e.getMessage().contains(dir.toAbsolutePath().toString()), e.getMessage());
        }
        // Released on close: it opens again.
        try (ArchiveEventLog log = open(dir)) {
            assertEquals(0, log.endPosition());
        }
    }

    @Test
    void aFolderThatCannotBeCreatedIsNamed() throws Exception {
        final Path file = dir.resolve("not-a-folder");
        Files.writeString(file, "x");
        final FunnelException e = assertThrows(FunnelException.class, () -> open(file.resolve("ingest")));
        assertTrue(e.getMessage().contains("not-a-folder"), e.getMessage());
        assertTrue(e.getMessage().contains("ingest.dir"), e.getMessage());
    }
}
