package io.funnel.engine.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.funnel.engine.data.SyntheticGenerator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code funnel train} is reproducible for a seed across JVMs: two child JVMs train on the same log and must write
 * the same files byte for byte, the two manifests apart from their version and creation time. Catches per-process
 * state leaking into a bundle (multi-threaded index builds, JVM-salted map orders, protobuf map orders).
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class TrainReproducibilityIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> MANIFESTS = List.of("manifest.json", "ranker/manifest.json");

    @TempDir
    Path dir;

    @Test
    void twoJvmsWriteTheSameBundle() throws Exception {
        final Path data = dir.resolve("data");
        // Over 512 items, so that a parallel index build would really run on several threads.
        new SyntheticGenerator().items(1_200).users(800).events(30_000).seed(5).endMs(1_763_856_000_000L)
                .write(data);
        final Path a = train(data, dir.resolve("a"));
        final Path b = train(data, dir.resolve("b"));
        final List<String> files = files(a);
        assertEquals(files, files(b), "same files");
        assertTrue(files.contains("state/index.hnsw") && files.contains("ranker/saved_model/saved_model.pb"), files
                .toString());
        for (final String file : files) {
            if (MANIFESTS.contains(file)) {
                assertEquals(withoutVersion(a.resolve(file)), withoutVersion(b.resolve(file)), file);
            } else {
                assertArrayEquals(Files.readAllBytes(a.resolve(file)), Files.readAllBytes(b.resolve(file)), file);
            }
        }
    }

    /** Runs {@code funnel train} in a child JVM; returns the version folder it wrote. */
    private static Path train(final Path data, final Path out) throws Exception {
        final String options = System.getProperty("funnel.jvm.options.file", "../config/jvm.options");
        final List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "@" + options, "-Xmx1g", "-Dfunnel.vectorOps=" + System.getProperty("funnel.vectorOps", "auto"),
                "-cp", System.getProperty("java.class.path"), FunnelCli.class.getName(), "train", "--interactions",
                data.toString(), "--format", "generated", "--out", out.toString(), "--epochs", "1", "--max-users",
                "50");
        final ProcessBuilder builder = new ProcessBuilder(cmd).redirectErrorStream(true);
        builder.environment().put("TF_CPP_MIN_LOG_LEVEL", "2");
        final Process process = builder.start();
        final String output = new String(process.getInputStream().readAllBytes());
        assertEquals(0, process.waitFor(), "funnel train failed:\n" + output);
        try (Stream<Path> versions = Files.list(out)) {
            return versions.findFirst().orElseThrow();
        }
    }

    private static List<String> files(final Path root) throws Exception {
        final List<String> files = new ArrayList<>();
        try (Stream<Path> all = Files.walk(root)) {
            all.filter(Files::isRegularFile).forEach(p -> files.add(root.relativize(p).toString()));
        }
        files.sort(null);
        return files;
    }

    /** The manifest's text without the fields that name the run ({@code version}, {@code created_at}). */
    private static String withoutVersion(final Path manifest) throws Exception {
        final JsonNode node = JSON.readTree(manifest.toFile());
        ((ObjectNode) node).remove(List.of("version", "created_at"));
        return node.toPrettyString();
    }
}
