package io.funnel.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RankerManifestTest {
    private static RankerManifest manifest(final String format, final List<String> features, final List<String> heads) {
        return new RankerManifest(format, "v1", "2026-11-23T09:30:00Z", "dcn2-esmm", "saved_model", "serving_default",
                "features", features, heads, Map.of("auc_click", 0.75), null);
    }

    @Test
    void roundTrips(@TempDir final Path dir) throws IOException {
        final RankerManifest m = manifest(RankerManifest.FORMAT, List.of("a", "b"), List.of("p_click"));
        m.write(dir);
        assertEquals(m, RankerManifest.read(dir));
        assertTrue(Files.readString(dir.resolve("manifest.json")).contains("\"feature_names\""));
    }

    @Test
    void invalidManifestsNameTheFileAndField(@TempDir final Path dir) throws IOException {
        manifest("funnel-ranker/9", List.of("a"), List.of("p")).write(dir);
        ModelException e = assertThrows(ModelException.class, () -> RankerManifest.read(dir));
        assertTrue(e.getMessage().contains(dir.resolve("manifest.json").toString()) && e.getMessage().contains(
                "'format'"), e.getMessage());
        manifest(RankerManifest.FORMAT, List.of("a", "a"), List.of("p")).write(dir);
        e = assertThrows(ModelException.class, () -> RankerManifest.read(dir));
        assertTrue(e.getMessage().contains("duplicates"), e.getMessage());
        manifest(RankerManifest.FORMAT, List.of("a"), List.of()).write(dir);
        e = assertThrows(ModelException.class, () -> RankerManifest.read(dir));
        assertTrue(e.getMessage().contains("'head_names'"), e.getMessage());
        Files.writeString(dir.resolve("manifest.json"), "{\"format\":\"funnel-ranker/1\"}");
        e = assertThrows(ModelException.class, () -> RankerManifest.read(dir));
        assertTrue(e.getMessage().contains("'version' is missing"), e.getMessage());
    }

    @Test
    void preRankHeadRoundTripsAndBadOnesAreNamed(@TempDir final Path dir) throws IOException {
        final PreRankHead head = new PreRankHead(List.of("dot", "popular"), List.of(0.5f, 1.25f), -2f);
        final RankerManifest m = new RankerManifest(RankerManifest.FORMAT, "v1", "2026-11-23T09:30:00Z", "dcn2-esmm",
                "saved_model", "serving_default", "features", List.of("a"), List.of("p"), Map.of(), head);
        m.write(dir);
        final RankerManifest read = RankerManifest.read(dir);
        assertEquals(head, read.preRank());
        assertEquals(1.25f, read.preRank().weight("popular"));
        assertEquals(0f, read.preRank().weight("ann"), "a feature the head does not use weighs nothing");

        final String json = Files.readString(dir.resolve("manifest.json"));
        Files.writeString(dir.resolve("manifest.json"), json.replace("1.25", "1.25, 3.0"));
        ModelException e = assertThrows(ModelException.class, () -> RankerManifest.read(dir));
        assertTrue(e.getMessage().contains("'pre_rank.weights' must hold one weight per feature (2), got 3"),
                e.getMessage());
        Files.writeString(dir.resolve("manifest.json"), json.replace("\"popular\"", "\"dot\""));
        e = assertThrows(ModelException.class, () -> RankerManifest.read(dir));
        assertTrue(e.getMessage().contains("'pre_rank.feature_names' has duplicates"), e.getMessage());
        Files.writeString(dir.resolve("manifest.json"), json.replace("1.25", "\"NaN\""));
        e = assertThrows(ModelException.class, () -> RankerManifest.read(dir));
        assertTrue(e.getMessage().contains("non-finite weight for 'popular'"), e.getMessage());
    }

    @Test
    void featureDiffListsMissingAndUnexpected() {
        assertEquals("expected 3 features, bundle has 3; missing [c], unexpected [d]",
                ModelRegistry.featureDiff(List.of("a", "b", "c"), List.of("a", "b", "d")));
        assertTrue(ModelRegistry.featureDiff(List.of("a", "b"), List.of("b", "a")).startsWith("same features in a "
                + "different order"));
    }
}
