package io.funnel.engine.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.funnel.engine.pipeline.StageId;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FunnelConfigTest {
    @TempDir
    Path dir;

    private FunnelConfig load(final String yaml) throws Exception {
        final Path file = dir.resolve("funnel.yaml");
        Files.writeString(file, yaml);
        return FunnelConfig.load(file);
    }

    private ConfigException fails(final String yaml) {
        return assertThrows(ConfigException.class, () -> load(yaml));
    }

    @Test
    void emptyFileGivesDefaults() throws Exception {
        final FunnelConfig c = load("");
        assertEquals(8080, c.server.port);
        assertEquals(50_000, c.budgetsMicros("t")[StageId.all().length]);
    }

    @Test
    void theShippedConfigIsValid() {
        final FunnelConfig c = FunnelConfig.load(Path.of("..", "config", "funnel.yaml"));
        assertEquals("generated", c.data.format);
        assertTrue(c.ingest.durable, "the shipped config keeps acknowledged events");
        assertTrue(!FunnelConfig.defaults().ingest.durable, "the built-in default (tests, embedding) is in-memory");
    }

    @Test
    void ingestErrorsNameTheKey() {
        assertTrue(fails("ingest:\n  fileSync: always\n").getMessage()
                .contains("ingest.fileSync: must be none, data or metadata, got 'always'"));
        assertTrue(fails("ingest:\n  termMiB: 3\n").getMessage().contains("ingest.termMiB: must be a power of two"));
        assertTrue(fails("ingest:\n  termMiB: 16\n  segmentMiB: 8\n").getMessage()
                .contains("ingest.segmentMiB: must be 16..1024"));
        assertTrue(fails("ingest:\n  aeron: {enabled: true, channel: 'tcp://x'}\n").getMessage()
                .contains("ingest.aeron.channel: must be aeron:ipc or aeron:udp"));
        assertTrue(fails("ingest:\n  aeron: {enabled: true, channel: 'aeron:ipc', ackChannel: 'aeron:ipc',"
                + " ackStreamId: 1001}\n").getMessage().contains("ingest.aeron.ackStreamId: must differ"));
    }

    @Test
    void durationsInEveryUnit() throws Exception {
        final FunnelConfig c = load("budgets:\n  total: 1s\n  rank: 800us\n  retrieve: 2.5ms\n  merge: 300\n");
        final long[] b = c.budgetsMicros("t");
        assertEquals(1_000_000, b[StageId.all().length]);
        assertEquals(800, b[StageId.RANK.ordinal()]);
        assertEquals(2_500, b[StageId.RETRIEVE.ordinal()]);
        assertEquals(300, b[StageId.MERGE.ordinal()]);
    }

    @Test
    void errorsNameFileKeyAndReason() {
        final ConfigException unknown = fails("server:\n  prot: 80\n");
        assertTrue(unknown.getMessage().contains("funnel.yaml: server.prot: unknown key 'prot'"),
                unknown.getMessage());
        assertTrue(unknown.getMessage().contains("port"), "lists the known keys: " + unknown.getMessage());
        assertTrue(fails("server:\n  port: 70000\n").getMessage().contains("server.port: must be 0..65535, got 70000"));
        assertTrue(fails("server:\n  nativeTransport: false\nmodel:\n  busyPollLoops: true\n").getMessage()
                .contains("model.busyPollLoops: needs server.nativeTransport: true"));
        assertTrue(fails("budgets:\n  rank: fast\n").getMessage().contains("budgets.rank: expected a duration"));
        assertTrue(fails("budgets:\n  rank: -5ms\n").getMessage().contains("must be a positive duration"));
        assertTrue(fails("budgets:\n  total: 100ms\n  rank: 200ms\n").getMessage()
                .contains("budgets.rank: must not exceed budgets.total"));
        assertTrue(fails("budgets:\n  ranking: 2ms\n").getMessage().contains("budgets.ranking: unknown stage"));
        assertTrue(fails("reRank:\n  policies:\n    x: {lambda: 2}\n  defaultPolicy: x\n").getMessage()
                .contains("reRank.policies.x.lambda: must be in [0, 1]"));
        assertTrue(fails("reRank:\n  defaultPolicy: nope\n").getMessage().contains("reRank.defaultPolicy"));
        assertTrue(fails("reRank:\n  policies:\n    x: {selector: magic}\n  defaultPolicy: x\n").getMessage()
                .contains("reRank.policies.x.selector: must be greedy, mmr or dpp"));
        assertTrue(fails("data:\n  format: parquet\n").getMessage().contains("data.format"));
        assertTrue(fails("cpus:\n  eventLoops: [4096]\n").getMessage().contains("cpus.eventLoops: must be 0.."));
        assertTrue(fails("server:\n  port: [1]\n").getMessage().contains("server.port"));
    }

    @Test
    void missingFileIsNamed() {
        final ConfigException e = assertThrows(ConfigException.class, () -> FunnelConfig.load(dir.resolve("no.yaml")));
        assertTrue(e.getMessage().contains("no.yaml: no such file"), e.getMessage());
    }
}
