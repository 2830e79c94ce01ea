package io.funnel.features;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * A one-record redo journal in front of the Chronicle Map puts that overwrite rows in place (user rows; item rows of
 * the {@link ChronicleFeatureStore.ItemBackend#CHRONICLE} backend). Chronicle Map's recovery after a killed process
 * may drop the entry whose segment was being written at the kill; the writer therefore first records "put this value
 * under this key into this map" here, then does the put. Reopening after a crash re-applies the recorded put, which is
 * idempotent: either the put had finished (same value again) or it had not (now it has).
 *
 * <p>Record layout (little-endian, at offset 64 of the file {@code puts.journal}):
 * {@code seq:int64, map:int32, length:int32, key:int64, value:length bytes, crc32c:int32} where the CRC covers
 * everything before it. A kill while the record itself is written leaves a CRC that does not match; the put had then
 * not started and the map entry is still the old, whole one.
 *
 * <p>Durability is against process death (SIGKILL): the record lives in the page cache like the maps do. Threading:
 * the store's single writer only.
 */
final class PutJournal implements AutoCloseable {
    static final String FILE = "puts.journal";
    static final int USERS = 1;
    static final int ITEM_ROWS = 2;
    private static final long MAGIC = 0x314C4E524A4C4E46L; // "FNLJRNL1"
    private static final int RECORD_AT = 64;
    private static final int HEADER_BYTES = 24;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** A journalled put: which map, which key, which value. */
    record Put(int map, long key, byte[] value) {}

    private final Path file;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment segment;
    private final byte[] scratch;
    private final MemorySegment scratchSegment;
    private final CRC32C crc = new CRC32C();
    private final int maxValueBytes;
    private long seq;

    /**
     * Opens (creating if absent) the journal in {@code directory}.
     *
     * @param maxValueBytes the largest value that will be journalled (the larger row size)
     */
    PutJournal(final Path directory, final int maxValueBytes) throws IOException {
        this.file = directory.resolve(FILE);
        this.maxValueBytes = maxValueBytes;
        final long size = RECORD_AT + HEADER_BYTES + (long) maxValueBytes + Integer.BYTES;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            final boolean fresh = ch.size() < RECORD_AT;
            // Mapping past the end grows the file; a record written under a larger row size fails its CRC check.
            this.segment = ch.map(FileChannel.MapMode.READ_WRITE, 0, size, arena);
            if (fresh) {
                segment.set(LONG, 0, MAGIC);
            } else if (segment.get(LONG, 0) != MAGIC) {
                arena.close();
                throw new FeatureStoreException(file + " is not a Funnel put journal (bad magic number)");
            }
        }
        this.scratch = new byte[HEADER_BYTES + maxValueBytes];
        this.scratchSegment = MemorySegment.ofArray(scratch);
    }

    /**
     * Records a put before it is made. Allocation free.
     *
     * @throws IllegalArgumentException if {@code length} exceeds the size the journal was opened for
     */
    void record(final int map, final long key, final byte[] value, final int length) {
        if (length > maxValueBytes) {
            throw new IllegalArgumentException("journalled value of " + length + " bytes, the journal holds "
                    + maxValueBytes);
        }
        scratchSegment.set(LONG, 0, ++seq);
        scratchSegment.set(INT, 8, map);
        scratchSegment.set(INT, 12, length);
        scratchSegment.set(LONG, 16, key);
        System.arraycopy(value, 0, scratch, HEADER_BYTES, length);
        crc.reset();
        crc.update(scratch, 0, HEADER_BYTES + length);
        final int sum = (int) crc.getValue();
        // Invalidate first, so a kill while the body is rewritten never pairs the old CRC with a half-new body.
        segment.set(INT, RECORD_AT + HEADER_BYTES + length, ~sum);
        VarHandle.storeStoreFence();
        MemorySegment.copy(scratchSegment, 0, segment, RECORD_AT, HEADER_BYTES + length);
        VarHandle.storeStoreFence();
        segment.set(INT, RECORD_AT + HEADER_BYTES + length, sum);
        VarHandle.storeStoreFence();
    }

    /** The last recorded put if its record is whole, else {@code null} (nothing recorded, or a torn record). */
    Put last() {
        final int length = segment.get(INT, RECORD_AT + 12);
        if (length <= 0 || length > maxValueBytes) {
            return null;
        }
        final byte[] body = new byte[HEADER_BYTES + length];
        MemorySegment.copy(segment, RECORD_AT, MemorySegment.ofArray(body), 0, body.length);
        final CRC32C check = new CRC32C();
        check.update(body, 0, body.length);
        if ((int) check.getValue() != segment.get(INT, RECORD_AT + HEADER_BYTES + length)) {
            return null;
        }
        final MemorySegment b = MemorySegment.ofArray(body);
        seq = b.get(LONG, 0);
        final byte[] value = new byte[length];
        System.arraycopy(body, HEADER_BYTES, value, 0, length);
        return new Put(b.get(INT, 8), b.get(LONG, 16), value);
    }

    @Override
    public void close() {
        arena.close();
    }

    @Override
    public String toString() {
        return file.toString();
    }
}
