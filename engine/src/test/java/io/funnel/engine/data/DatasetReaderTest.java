package io.funnel.engine.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.funnel.codecs.EventType;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetReaderTest {
    @TempDir
    Path dir;

    @Test
    void readsCsvWithItemsAndSortsByTime() throws Exception {
        Files.writeString(dir.resolve("items.csv"), "item_id,category,in_stock,created_at_ms\n10,2,1,5\n11,3,0,6\n");
        final Path log = dir.resolve("log.csv");
        Files.writeString(log, "user_id,item_id,timestamp,type\n1,11,200,like\n1,10,100,click\n2,12,150,purchase\n");
        final Dataset d = DatasetReader.read(log, DatasetFormat.CSV);
        assertEquals(3, d.itemCount(), "item 12 appears only in the log and is added");
        assertEquals(4, d.categoryCount(), "categories 0..3");
        assertEquals(100_000L, d.tsMs(0), "seconds become milliseconds, sorted by time");
        assertEquals(10, d.itemId(d.item(0)));
        assertEquals(EventType.LIKE.ordinal(), d.type(2));
        assertTrue(!d.inStock(1));
        assertEquals(3, d.category(1));
    }

    @Test
    void badLinesNameFileLineAndField() throws Exception {
        final Path log = dir.resolve("bad.csv");
        Files.writeString(log, "user_id,item_id,timestamp_ms\n1,2,3\n1,x,4\n");
        final DataFileException e = assertThrows(DataFileException.class, () -> DatasetReader.read(log,
                DatasetFormat.CSV));
        assertTrue(e.getMessage().endsWith("bad.csv:3 field 'item_id': expected an integer, got 'x'"),
                e.getMessage());
        Files.writeString(log, "user,item\n1,2\n");
        assertTrue(assertThrows(DataFileException.class, () -> DatasetReader.read(log, DatasetFormat.CSV))
                .getMessage().contains("no 'user_id' column"));
        Files.writeString(log, "user_id,item_id,timestamp_ms,type\n1,2,3,stare\n");
        assertTrue(assertThrows(DataFileException.class, () -> DatasetReader.read(log, DatasetFormat.CSV))
                .getMessage().contains(":2 field 'type'"));
        assertTrue(assertThrows(DataFileException.class, () -> DatasetReader.read(dir.resolve("none.csv"),
                DatasetFormat.CSV)).getMessage().contains("no such file"));
    }

    @Test
    void readsGeneratedDataBack() {
        final Dataset written = new SyntheticGenerator().items(200).users(50).events(2_000).seed(3).endMs(1_000_000_000L)
                .write(dir.resolve("gen"));
        final Dataset read = DatasetReader.read(dir.resolve("gen"), DatasetFormat.GENERATED);
        assertEquals(written.itemCount(), read.itemCount());
        assertEquals(written.size(), read.size());
        for (int e = 0; e < read.size(); e += 97) {
            assertEquals(written.userId(e), read.userId(e));
            assertEquals(written.itemId(written.item(e)), read.itemId(read.item(e)));
            assertEquals(written.tsMs(e), read.tsMs(e));
        }
    }

    @Test
    void readsMovieLensWhenPresent() {
        final Path ml = Path.of(System.getProperty("funnel.shared.data", "../shared/data"), "movielens-ml-100k");
        Assumptions.assumeTrue(Files.exists(ml.resolve("u.data")), "MovieLens 100K not found at " + ml
                + "; skipping (it is read from ../shared/data, never copied into the repo)");
        final Dataset d = DatasetReader.read(ml, DatasetFormat.MOVIELENS);
        assertEquals(100_000, d.size());
        assertEquals(1_682, d.itemCount());
        assertTrue(d.categoryCount() > 10, "genres become categories");
    }
}
