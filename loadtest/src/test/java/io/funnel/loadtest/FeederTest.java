package io.funnel.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.funnel.loadtest.spi.LoadRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FeederTest {
    private static final int DRAWS = 200_000;

    @Test
    void uniformStaysInItsRangeAndCoversIt() {
        final UserFeeder f = UserFeeder.uniform(10, 19);
        final SplittableRandom r = new SplittableRandom(1);
        final long[] counts = new long[10];
        for (int i = 0; i < DRAWS; i++) {
            final long id = f.next(r);
            assertTrue(id >= 10 && id <= 19, "id " + id);
            counts[(int) (id - 10)]++;
        }
        for (final long c : counts) {
            assertEquals(DRAWS / 10.0, c, DRAWS / 10.0 * 0.05);
        }
    }

    @Test
    void zipfFavoursTheFirstIdsByTheLaw() {
        // n = 1000, s = 1: P(1) = 1 / H(1000) ≈ 0.1336, P(2) = P(1) / 2, P(10) = P(1) / 10.
        final UserFeeder f = UserFeeder.zipf(1000, 1.0);
        final SplittableRandom r = new SplittableRandom(2);
        final long[] counts = new long[1001];
        for (int i = 0; i < DRAWS; i++) {
            final long id = f.next(r);
            assertTrue(id >= 1 && id <= 1000, "id " + id);
            counts[(int) id]++;
        }
        double harmonic = 0;
        for (int i = 1; i <= 1000; i++) {
            harmonic += 1.0 / i;
        }
        assertEquals(DRAWS / harmonic, counts[1], DRAWS / harmonic * 0.03);
        assertEquals(counts[1] / 2.0, counts[2], counts[1] * 0.05);
        assertEquals(counts[1] / 10.0, counts[10], counts[1] * 0.02);
        assertThrows(IllegalArgumentException.class, () -> UserFeeder.zipf(0, 1.0));
        assertThrows(IllegalArgumentException.class, () -> UserFeeder.zipf(10, 0));
    }

    @Test
    void interactionsFileDrawsUsersAsOftenAsTheyActed(@TempDir final Path dir) throws Exception {
        final Path file = dir.resolve("interactions.csv");
        Files.writeString(file, "item_id,user_id,type\n5,7,click\n6,7,view\n7,7,view\n8,9,like\n\n");
        final UserFeeder f = UserFeeder.fromInteractions(file);
        final SplittableRandom r = new SplittableRandom(3);
        int sevens = 0;
        for (int i = 0; i < 40_000; i++) {
            final long id = f.next(r);
            assertTrue(id == 7 || id == 9, "id " + id);
            sevens += id == 7 ? 1 : 0;
        }
        assertEquals(30_000, sevens, 600, "user 7 is on three of four lines");

        Files.writeString(file, "item_id,type\n5,click\n");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> UserFeeder.fromInteractions(file)).getMessage()
                .contains("line 1 must be a CSV header with a user_id column"));
        Files.writeString(file, "user_id,item_id\n1,5\nx,6\n");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> UserFeeder.fromInteractions(file)).getMessage()
                .contains("line 3: user_id is not an integer"));
    }

    @Test
    void contextsCarryACategoryAtTheirShare() {
        final ContextFeeder c = ContextFeeder.categories(40, 0.3);
        final SplittableRandom r = new SplittableRandom(4);
        int with = 0;
        for (int i = 0; i < DRAWS; i++) {
            final int category = c.category(r);
            if (category != LoadRequest.Recommend.NO_CATEGORY) {
                assertTrue(category >= 0 && category < 40);
                with++;
            }
        }
        assertEquals(0.3 * DRAWS, with, 0.3 * DRAWS * 0.03);
        assertEquals(LoadRequest.Recommend.NO_CATEGORY, ContextFeeder.none().category(r));
        assertThrows(IllegalArgumentException.class, () -> ContextFeeder.categories(40, 1.5));
    }
}
