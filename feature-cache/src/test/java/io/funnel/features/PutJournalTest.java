package io.funnel.features;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PutJournalTest {
    @TempDir
    Path dir;

    @Test
    void theLastRecordedPutSurvivesAReopen() throws Exception {
        final byte[] a = {1, 2, 3, 4, 5, 6, 7, 8};
        final byte[] b = {9, 9, 9, 9};
        try (PutJournal j = new PutJournal(dir, 16)) {
            assertNull(j.last(), "a fresh journal holds nothing");
            j.record(PutJournal.USERS, 42L, a, a.length);
            j.record(PutJournal.ITEM_ROWS, 7L, b, b.length);
        }
        try (PutJournal j = new PutJournal(dir, 16)) {
            final PutJournal.Put put = j.last();
            assertEquals(PutJournal.ITEM_ROWS, put.map());
            assertEquals(7L, put.key());
            assertArrayEquals(b, put.value());
        }
    }

    @Test
    void aTornRecordIsNotReplayed() throws Exception {
        final byte[] row = new byte[12];
        java.util.Arrays.fill(row, (byte) 5);
        try (PutJournal j = new PutJournal(dir, 12)) {
            j.record(PutJournal.USERS, 1L, row, row.length);
        }
        // Flip one byte of the value, as a kill halfway through the copy would leave it.
        try (RandomAccessFile f = new RandomAccessFile(dir.resolve(PutJournal.FILE).toFile(), "rw")) {
            f.seek(64 + 24 + 3);
            f.write(6);
        }
        try (PutJournal j = new PutJournal(dir, 12)) {
            assertNull(j.last(), "a record whose CRC does not match is ignored");
        }
    }

    @Test
    void aForeignFileIsRefusedByName() throws Exception {
        Files.write(dir.resolve(PutJournal.FILE), new byte[128]);
        Files.writeString(dir.resolve(PutJournal.FILE), "not a journal at all, just some text of some length....."
                + "...........................................................................");
        final FeatureStoreException e = assertThrows(FeatureStoreException.class, () -> new PutJournal(dir, 8));
        assertTrue(e.getMessage().contains(PutJournal.FILE), e.getMessage());
    }

    @Test
    void aValueLargerThanTheJournalIsRejected() throws Exception {
        try (PutJournal j = new PutJournal(dir, 4)) {
            assertThrows(IllegalArgumentException.class, () -> j.record(PutJournal.USERS, 1L, new byte[8], 8));
        }
    }
}
