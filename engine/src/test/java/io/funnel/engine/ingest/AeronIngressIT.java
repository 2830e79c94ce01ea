package io.funnel.engine.ingest;

import static io.funnel.engine.ingest.IngestFixtures.FIRST_TEST_USER;
import static io.funnel.engine.ingest.IngestFixtures.weight;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.Subscription;
import io.funnel.codecs.EventBatch;
import io.funnel.codecs.EventType;
import io.funnel.codecs.sbe.AckDecoder;
import io.funnel.codecs.sbe.ErrorDecoder;
import io.funnel.codecs.sbe.MessageHeaderDecoder;
import io.funnel.codecs.sbe.MessageHeaderEncoder;
import io.funnel.codecs.sbe.RecommendRequestEncoder;
import io.funnel.engine.config.FunnelConfig;
import io.funnel.engine.metrics.FunnelMetrics;
import io.funnel.engine.offline.ServingState;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Aeron ingress stream: well-formed batches are made durable and applied and acknowledged on the ack stream; bad
 * messages are counted and answered with an Error, and the agent keeps going.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class AeronIngressIT {
    @TempDir
    Path dir;

    private FunnelConfig config(final String channel, final boolean durable) {
        final FunnelConfig config = IngestFixtures.durableConfig(dir.resolve("ingest"), "none");
        config.ingest.durable = durable;
        config.ingest.aeron.enabled = true;
        config.ingest.aeron.channel = channel;
        config.ingest.aeron.streamId = 1001;
        config.ingest.aeron.ackChannel = "aeron:ipc";
        config.ingest.aeron.ackStreamId = 1002;
        return config.validate("test");
    }

    private static int freeUdpPort() throws Exception {
        try (java.net.DatagramSocket socket = new java.net.DatagramSocket(0,
                java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"ipc", "udp"})
    void batchesAreAcknowledgedOnceDurableAndBadMessagesAreCountedAndSkipped(final String media) throws Exception {
        final String channel = media.equals("ipc") ? "aeron:ipc" : "aeron:udp?endpoint=127.0.0.1:" + freeUdpPort();
        final FunnelConfig config = config(channel, true);
        final ServingState state = IngestFixtures.state(IngestFixtures.smallData());
        final FunnelMetrics metrics = new FunnelMetrics();
        try (EventIngestion ingestion = EventIngestion.start(config, state, metrics, () -> { });
                Aeron client = Aeron.connect(new Aeron.Context()
                        .aeronDirectoryName(ingestion.media().directory().getAbsolutePath()));
                ExclusivePublication publication = client.addExclusivePublication(channel, 1001);
                Subscription acks = client.addSubscription("aeron:ipc", 1002)) {
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!publication.isConnected() || !acks.isConnected()) {
                assertTrue(System.nanoTime() < deadline, "ingress or ack stream not connected");
                Thread.sleep(1);
            }
            final EventBatchCodec codec = new EventBatchCodec();
            final ExpandableArrayBuffer buffer = new ExpandableArrayBuffer(1024);

            // 1: a good batch of 3 clicks.
            final EventBatch good = new EventBatch();
            for (int i = 0; i < 3; i++) {
                good.add(FIRST_TEST_USER, state.store().itemIdAt(i), EventType.CLICK, 1_763_900_000_000L + i);
            }
            offer(publication, buffer, codec.encode(good, 1, buffer, 0));
            // 2: truncated (the same bytes, cut inside the header).
            offer(publication, buffer, 6);
            // 3: another template of the same schema.
            final int requestLength = MessageHeaderEncoder.ENCODED_LENGTH + new RecommendRequestEncoder()
                    .wrapAndApplyHeader(buffer, 0, new MessageHeaderEncoder()).correlationId(3).userId(1).count(5)
                    .category(-1).encodedLength();
            offer(publication, buffer, requestLength);
            // 4: garbage from another schema.
            final UnsafeBuffer garbage = new UnsafeBuffer(new byte[40]);
            garbage.putShort(4, (short) 12345);
            offer(publication, garbage, 40);
            // 5: an item that is not in the catalog.
            final EventBatch unknown = new EventBatch().add(FIRST_TEST_USER, 42, EventType.CLICK, 1);
            offer(publication, buffer, codec.encode(unknown, 5, buffer, 0));
            // 6: another good batch after all that: the agent is still running.
            final EventBatch after = new EventBatch().add(FIRST_TEST_USER + 1, state.store().itemIdAt(7),
                    EventType.CLICK, 1_763_900_000_100L);
            offer(publication, buffer, codec.encode(after, 6, buffer, 0));

            final Map<Long, String> answers = new HashMap<>();
            final MessageHeaderDecoder header = new MessageHeaderDecoder();
            final AckDecoder ack = new AckDecoder();
            final ErrorDecoder error = new ErrorDecoder();
            while (answers.size() < 5 || !answers.containsKey(0L)) {
                assertTrue(System.nanoTime() < deadline, "answers so far: " + answers);
                acks.poll((b, offset, length, h) -> {
                    header.wrap(b, offset);
                    if (header.templateId() == AckDecoder.TEMPLATE_ID) {
                        ack.wrapAndApplyHeader(b, offset, header);
                        assertTrue(ack.logPosition() > 0, "a durable ack carries its log position");
                        answers.put(ack.correlationId(), "ack " + ack.accepted());
                    } else {
                        error.wrapAndApplyHeader(b, offset, header);
                        final String text = "error " + error.code() + " " + error.field();
                        answers.merge(error.correlationId(), text, (x, y) -> x + "; " + y);
                        error.message(); // read past the var data
                    }
                }, 10);
                Thread.sleep(1);
            }
            assertEquals("ack 3", answers.get(1L));
            assertEquals("error BAD_REQUEST wrong_template", answers.get(3L));
            assertEquals("error UNPROCESSABLE unknown_item", answers.get(5L));
            assertEquals("ack 1", answers.get(6L));
            // Truncated and foreign messages have no readable correlation id: both answer with 0.
            assertTrue(answers.get(0L).contains("truncated") && answers.get(0L).contains("wrong_schema"),
                    answers.get(0L));
            assertEquals(3f, weight(state, FIRST_TEST_USER));
            assertEquals(1f, weight(state, FIRST_TEST_USER + 1));
            final FunnelMetrics.IngestStats stats = metrics.ingest();
            assertEquals(4, stats.acked());
            assertEquals(Map.of("aeron_truncated", 1L, "aeron_wrong_template", 1L, "aeron_wrong_schema", 1L,
                    "aeron_unknown_item", 1L), stats.errors());
            assertEquals(6, ingestion.ingressAgent().received());
        }
    }

    @Test
    void worksWithoutTheDurableLogToo() throws Exception {
        final FunnelConfig config = config("aeron:ipc", false);
        final ServingState state = IngestFixtures.state(IngestFixtures.smallData());
        try (EventIngestion ingestion = EventIngestion.start(config, state, new FunnelMetrics(), () -> { });
                Aeron client = Aeron.connect(new Aeron.Context()
                        .aeronDirectoryName(ingestion.media().directory().getAbsolutePath()));
                ExclusivePublication publication = client.addExclusivePublication("aeron:ipc", 1001)) {
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!publication.isConnected()) {
                assertTrue(System.nanoTime() < deadline);
                Thread.sleep(1);
            }
            final ExpandableArrayBuffer buffer = new ExpandableArrayBuffer(256);
            final EventBatch batch = new EventBatch().add(FIRST_TEST_USER, state.store().itemIdAt(1),
                    EventType.LIKE, 0);
            offer(publication, buffer, new EventBatchCodec().encode(batch, 9, buffer, 0));
            while (weight(state, FIRST_TEST_USER) == 0f) {
                assertTrue(System.nanoTime() < deadline, "not applied");
                Thread.sleep(1);
            }
            assertEquals(2f, weight(state, FIRST_TEST_USER));
            assertEquals(null, ingestion.log());
        }
    }

    private static void offer(final ExclusivePublication publication, final org.agrona.DirectBuffer buffer,
            final int length) throws InterruptedException {
        long result;
        while ((result = publication.offer(buffer, 0, length)) < 0) {
            assertTrue(result == io.aeron.Publication.BACK_PRESSURED || result == io.aeron.Publication.ADMIN_ACTION,
                    "offer failed: " + result);
            Thread.sleep(1);
        }
    }
}
