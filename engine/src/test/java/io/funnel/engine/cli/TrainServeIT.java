package io.funnel.engine.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.funnel.engine.FunnelException;
import io.funnel.engine.config.FunnelConfig;
import io.funnel.engine.data.Dataset;
import io.funnel.engine.data.DatasetFormat;
import io.funnel.engine.data.DatasetReader;
import io.funnel.engine.data.SyntheticGenerator;
import io.funnel.engine.offline.BundleState;
import io.funnel.engine.offline.ServingState;
import io.funnel.engine.offline.ServingStateBuilder;
import io.funnel.engine.server.FunnelServer;
import io.funnel.features.UserRow;
import io.funnel.model.EventLoopPolling;
import io.vertx.core.Vertx;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * From a log to a served TensorFlow ranker: {@code funnel train} writes a bundle, the server ranks with it through
 * the micro-batcher, and the admin reload refuses a corrupt newer version while the old one keeps serving.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class TrainServeIT {
    private static final String TOKEN = "train-serve-token-0123456789";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    private static HttpResponse<String> post(final int port, final String path, final String body,
            final String token) throws Exception {
        final HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static Path writeOtherCatalog(final Path out) throws Exception {
        new SyntheticGenerator().items(1_000).users(100).events(2_000).seed(9).endMs(1_763_856_000_000L).write(out);
        return out;
    }

    @Test
    void trainThenServeThenRefuseACorruptUpgrade() throws Exception {
        final Path data = dir.resolve("data");
        new SyntheticGenerator().items(2_000).users(1_500).events(60_000).seed(4).endMs(1_763_856_000_000L)
                .write(data);
        final Path bundles = dir.resolve("bundles");
        final int exit = new CommandLine(new TrainCommand()).execute("--interactions", data.toString(), "--format",
                "generated", "--out", bundles.toString(), "--epochs", "3", "--max-users", "200");
        assertEquals(0, exit, "funnel train succeeded");
        final Path version;
        try (Stream<Path> versions = Files.list(bundles)) {
            version = versions.findFirst().orElseThrow();
        }
        for (final String file : List.of("manifest.json", "eval.json", "ranker/manifest.json", "ranker/golden.json",
                "ranker/saved_model/saved_model.pb")) {
            assertTrue(Files.exists(version.resolve(file)), file + " in the bundle");
        }
        final JsonNode manifest = JSON.readTree(version.resolve("manifest.json").toFile());
        assertEquals("TensorFlow matrix factorisation (BPR loss)", manifest.get("state").get("embeddings").asText(),
                "--embeddings defaults to tensorflow");
        assertTrue(new CommandLine(new TrainCommand()).execute("--interactions", data.toString(), "--format",
                "generated", "--out", dir.resolve("refused").toString(), "--embeddings", "word2vec") != 0,
                "an unknown --embeddings is refused");
        assertTrue(!Files.exists(dir.resolve("refused")), "and nothing is written");
        assertEquals(TrainCommand.BUNDLE_FORMAT, manifest.get("format").asText());
        assertTrue(manifest.get("metrics").get("auc_click").asDouble() > 0.6, "the ranker learned: " + manifest);
        assertEquals(20, manifest.get("prediction_reference").size());
        assertTrue(JSON.readTree(version.resolve("eval.json").toFile()).get("methods").has("funnel:tensorflow"));

        final FunnelConfig config = FunnelConfig.defaults();
        config.server.port = 0;
        config.server.binaryPort = 0; // a free port too: never the default 8082, which another run may hold
        config.server.eventLoops = 1;
        config.admin.port = 0;
        config.admin.tokens.put("ci", TOKEN);
        config.model.bundles = bundles.toString();
        config.model.trainRanker = false;
        config.cpus.batcher = List.of(0); // pinned batcher thread (a refusal would only log a warning)
        // The loop busy-polls while its rank requests are with the batcher, where epoll is available (Linux).
        config.model.busyPollLoops = EventLoopPolling.available();
        config.budgets.put("total", "3s");
        config.budgets.put("retrieve", "2s");
        config.budgets.put("rank", "2s");
        config.validate("test");
        final Dataset log = DatasetReader.read(data, DatasetFormat.GENERATED);
        // The bundle's retrieval state (TensorFlow embeddings, HNSW index, item-CF) is what serves.
        final JsonNode stateManifest = manifest.get("state");
        assertEquals(2_000, stateManifest.get("items").asInt());
        for (final String file : List.of("state/embeddings.bin", "state/itemcf.bin", "state/index.hnsw")) {
            assertTrue(Files.exists(version.resolve(file)), file + " in the bundle");
        }
        final BundleState bundleState = ModelServing.bundleState(config, log);
        assertNotNull(bundleState, "the bundle's state fits the catalog it was trained on");
        final ServingState state = new ServingStateBuilder(config, line -> { }).bundleState(bundleState).build(log);
        assertSame(bundleState.index(), state.index(), "the saved index serves");
        assertEquals(stateManifest.get("co_visitation_pairs").asInt(), state.coVisitation().pairCount());
        final UserRow served = new UserRow(bundleState.dimension());
        assertTrue(state.store().readUser(3L, served) && served.hasEmbedding(), "user 3 has a vector");
        assertArrayEquals(bundleState.user(3L), java.util.Arrays.copyOf(served.embedding(), bundleState.dimension()),
                0f, "the user's vector comes from the bundle");

        // Another catalog: the state is refused with a reason naming the manifest, and a corrupt file by name.
        final Dataset other = DatasetReader.read(writeOtherCatalog(dir.resolve("other")), DatasetFormat.GENERATED);
        final FunnelException mismatch = assertThrows(FunnelException.class,
                () -> BundleState.read(version, stateManifest, other));
        assertTrue(mismatch.getMessage().contains("manifest.json") && mismatch.getMessage().contains("catalog"),
                mismatch.getMessage());
        final Path copy = dir.resolve("copy");
        Files.createDirectories(copy.resolve("state"));
        for (final String file : List.of("embeddings.bin", "itemcf.bin")) {
            Files.copy(version.resolve("state").resolve(file), copy.resolve("state").resolve(file));
        }
        final byte[] bytes = Files.readAllBytes(copy.resolve("state/embeddings.bin"));
        bytes[bytes.length / 2] ^= 0x55;
        Files.write(copy.resolve("state/embeddings.bin"), bytes);
        final FunnelException corrupt = assertThrows(FunnelException.class,
                () -> BundleState.read(copy, stateManifest, log));
        assertTrue(corrupt.getMessage().contains("embeddings.bin"), corrupt.getMessage());
        final Vertx vertx = Boot.vertx(config);
        try (ModelServing models = ModelServing.open(config, state, vertx)) {
            final FunnelServer server = models.configure(FunnelServer.builder(config, state)).start(vertx)
                    .await(30, TimeUnit.SECONDS);
            try {
                final String name = version.getFileName().toString();
                final JsonNode answer = JSON.readTree(post(server.port(), "/v1/recommend",
                        "{\"userId\": 3, \"count\": 5}", null).body());
                assertEquals(name, answer.get("modelVersion").asText(), "the TensorFlow model serves");
                assertEquals(5, answer.get("items").size());
                final List<String> degraded = JSON.readerForListOf(String.class).readValue(answer.get("degraded"));
                assertFalse(degraded.contains("rank"), "ranked by the batcher, not the fallback: " + degraded);
                assertTrue(server.metrics().rankBatches() >= 1 && server.metrics().rankBatchRows() >= 5,
                        "the micro-batcher made the model call");

                // A newer version whose SavedModel is damaged: refused, and the old one keeps serving.
                final Path bad = bundles.resolve("v99991231-000000");
                Files.createDirectories(bad.resolve("ranker/saved_model"));
                Files.copy(version.resolve("ranker/manifest.json"), bad.resolve("ranker/manifest.json"));
                Files.writeString(bad.resolve("ranker/saved_model/saved_model.pb"), "not a model");
                final HttpResponse<String> reload = post(server.adminPort(), "/admin/models/reload", "", TOKEN);
                assertEquals(409, reload.statusCode(), reload.body());
                assertTrue(reload.body().contains("previous model keeps serving"), reload.body());
                final JsonNode after = JSON.readTree(post(server.port(), "/v1/recommend", "{\"userId\": 3}", null)
                        .body());
                assertEquals(name, after.get("modelVersion").asText());
            } finally {
                server.close().await(10, TimeUnit.SECONDS);
            }
        } finally {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
    }
}
