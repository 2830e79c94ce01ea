package io.funnel.codecs.binary;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.funnel.codecs.EventBatch;
import io.funnel.codecs.EventType;
import io.funnel.codecs.RecommendRequest;
import io.funnel.codecs.RecommendResponse;
import io.funnel.codecs.sbe.v2.AckDecoder;
import io.funnel.codecs.sbe.v2.AckEncoder;
import io.funnel.codecs.sbe.v2.BooleanType;
import io.funnel.codecs.sbe.v2.EventBatchDecoder;
import io.funnel.codecs.sbe.v2.EventBatchEncoder;
import io.funnel.codecs.sbe.v2.EventKind;
import io.funnel.codecs.sbe.v2.MessageHeaderDecoder;
import io.funnel.codecs.sbe.v2.MessageHeaderEncoder;
import io.funnel.codecs.sbe.v2.RecommendRequestDecoder;
import io.funnel.codecs.sbe.v2.RecommendRequestEncoder;
import io.funnel.codecs.sbe.v2.RecommendResponseDecoder;
import io.funnel.codecs.sbe.v2.RecommendResponseEncoder;
import java.nio.ByteOrder;
import java.util.List;
import org.agrona.ExpandableArrayBuffer;
import org.junit.jupiter.api.Test;

/**
 * A newer peer (schema version 2, generated from src/test/resources/sbe/funnel-schema-v2.xml) and this version-1
 * codec read each other: what both versions know survives, what only version 2 knows reads as its null value (or
 * empty) on a version-1 message, and a version-1 reader skips what it does not know without complaint.
 */
class SchemaCompatibilityTest {
    private static final int AT = FrameReader.LENGTH_BYTES;
    private final BinaryCodec v1 = new BinaryCodec();
    private final ExpandableArrayBuffer buffer = new ExpandableArrayBuffer(256);
    private final MessageHeaderEncoder headerV2 = new MessageHeaderEncoder();
    private final MessageHeaderDecoder headerDecoderV2 = new MessageHeaderDecoder();

    /** Writes the length prefix for a v2 message of {@code encodedLength} body bytes; returns the frame length. */
    private int prefix(final int encodedLength) {
        final int length = MessageHeaderEncoder.ENCODED_LENGTH + encodedLength;
        buffer.putInt(0, length, ByteOrder.LITTLE_ENDIAN);
        return length;
    }

    @Test
    void theSchemasDifferOnlyByVersion() {
        assertEquals(BinaryCodec.SCHEMA_ID, MessageHeaderEncoder.SCHEMA_ID);
        assertEquals(1, BinaryCodec.SCHEMA_VERSION);
        assertEquals(2, MessageHeaderEncoder.SCHEMA_VERSION);
        assertEquals(BinaryCodec.RECOMMEND_REQUEST, RecommendRequestEncoder.TEMPLATE_ID);
        assertTrue(RecommendRequestEncoder.BLOCK_LENGTH > io.funnel.codecs.sbe.RecommendRequestEncoder.BLOCK_LENGTH,
                "version 2 appends to the block");
    }

    @Test
    void aNewerClientsRequestIsReadByThisServer() {
        final RecommendRequestEncoder e = new RecommendRequestEncoder().wrapAndApplyHeader(buffer, AT, headerV2);
        e.correlationId(21).userId(42).count(7).explain(BooleanType.TRUE).category(3).budgetMicros(900)
                .tenantId(5);
        e.excludeCount(2).next().itemId(17).untilMs(1_000).next().itemId(23).untilMs(2_000);
        e.boostCategoriesCount(1).next().category(4).factor(1.5f);
        e.boostItemsCount(1).next().itemId(99).factor(2f);
        e.policy("diverse");
        e.traceTag("trace-abc");
        final int length = prefix(e.encodedLength());

        assertEquals(BinaryCodec.RECOMMEND_REQUEST, v1.wrapFrame(buffer, AT, length));
        assertEquals(2, v1.actingVersion());
        assertEquals(21, v1.correlationId());
        final RecommendRequest r = v1.decodeRecommend(new RecommendRequest());
        assertEquals(42, r.userId());
        assertEquals(7, r.count());
        assertTrue(r.explain());
        assertEquals(3, r.category());
        assertEquals(900, r.budgetMicros());
        assertEquals(2, r.excludeCount());
        assertEquals(17, r.exclude(0));
        assertEquals(23, r.exclude(1), "the longer group entries are stepped over by their block length");
        assertEquals(4, r.boostCategory(0));
        assertEquals(99, r.boostItem(0));
        assertEquals("diverse", r.policy(), "var data after a longer block is still found");
    }

    @Test
    void thisClientsRequestIsReadByANewerServer() {
        final RecommendRequest in = BinaryCodecTest.fullRequest();
        final int n = v1.encodeRecommend(22, in, buffer, 0);
        headerDecoderV2.wrap(buffer, AT);
        assertEquals(1, headerDecoderV2.version());
        final RecommendRequestDecoder d = new RecommendRequestDecoder().wrap(buffer, AT + MessageHeaderDecoder
                .ENCODED_LENGTH, headerDecoderV2.blockLength(), headerDecoderV2.version());
        assertEquals(22, d.correlationId());
        assertEquals(42, d.userId());
        assertEquals(7, d.count());
        assertEquals(BooleanType.TRUE, d.explain());
        assertEquals(3, d.category());
        assertEquals(2500, d.budgetMicros());
        assertEquals(RecommendRequestDecoder.tenantIdNullValue(), d.tenantId(), "absent in version 1: null value");
        final RecommendRequestDecoder.ExcludeDecoder ex = d.exclude();
        assertEquals(2, ex.count());
        assertEquals(5, ex.next().itemId());
        assertEquals(RecommendRequestDecoder.ExcludeDecoder.untilMsNullValue(), ex.untilMs());
        assertEquals(6, ex.next().itemId());
        final RecommendRequestDecoder.BoostCategoriesDecoder bc = d.boostCategories();
        assertEquals(2, bc.count());
        assertEquals(3, bc.next().category());
        assertEquals(7, bc.next().category());
        final RecommendRequestDecoder.BoostItemsDecoder bi = d.boostItems();
        assertEquals(100042L, bi.next().itemId());
        assertEquals("diverse", d.policy());
        assertEquals("", d.traceTag(), "absent in version 1: empty");
        assertEquals(n - AT, MessageHeaderDecoder.ENCODED_LENGTH + d.encodedLength(), "read to the last byte");
    }

    @Test
    void aNewerServersResponseIsReadByThisClient() {
        final RecommendResponseEncoder e = new RecommendResponseEncoder().wrapAndApplyHeader(buffer, AT, headerV2);
        e.correlationId(31).userId(42).tookMicros(870).coldStart(BooleanType.FALSE).explain(BooleanType.TRUE)
                .servedBy(3);
        e.itemsCount(2)
                .next().itemId(124117).score(0.31f).channelMask(0b11).exploration(BooleanType.FALSE)
                .preRankScore(0.2f).rankScore(0.3f).freshness(1.1f)
                .next().itemId(17).score(0.12f).channelMask(0b100).exploration(BooleanType.TRUE)
                .preRankScore(0.1f).rankScore(0.05f).freshness(1f);
        final RecommendResponseEncoder.ChannelNamesEncoder names = e.channelNamesCount(3);
        names.next().name("popular");
        names.next().name("itemcf");
        names.next().name("ann");
        e.degradedCount(1).next().stage("retrieve.ann");
        e.stageTimesCount(1).next().micros(154).stage("retrieve");
        e.modelVersion("logistic-2").policy("diverse").note("served by v2");
        final int length = prefix(e.encodedLength());

        assertEquals(BinaryCodec.RECOMMEND_RESPONSE, v1.wrapFrame(buffer, AT, length));
        final RecommendResponse r = v1.decodeResponse(new RecommendResponse());
        assertEquals(42, r.userId());
        assertEquals(870, r.tookMicros());
        assertTrue(r.explain());
        assertEquals(2, r.count());
        assertEquals(17, r.itemId(1));
        assertEquals(0.12f, r.score(1));
        assertEquals(0b100, r.channelMask(1));
        assertTrue(r.exploration(1));
        assertArrayEquals(new String[] {"popular", "itemcf", "ann"}, r.channelNames());
        assertEquals(List.of("retrieve.ann"), r.degraded());
        assertEquals("retrieve", r.stageName(0));
        assertEquals("logistic-2", r.modelVersion());
        assertEquals("diverse", r.policy());
    }

    @Test
    void thisServersResponseIsReadByANewerClient() {
        final RecommendResponse in = new RecommendResponse().userId(42).explain(false).tookMicros(500)
                .modelVersion("m1").policy("relevance").channelNames(new String[] {"popular"});
        in.addItem(9, 0.5f, 1, 0.4f, 0.45f, false);
        v1.encodeResponse(32, in, buffer, 0);
        headerDecoderV2.wrap(buffer, AT);
        final RecommendResponseDecoder d = new RecommendResponseDecoder().wrap(buffer, AT + MessageHeaderDecoder
                .ENCODED_LENGTH, headerDecoderV2.blockLength(), headerDecoderV2.version());
        assertEquals(32, d.correlationId());
        assertEquals(42, d.userId());
        assertEquals(RecommendResponseDecoder.servedByNullValue(), d.servedBy());
        final RecommendResponseDecoder.ItemsDecoder items = d.items();
        assertEquals(1, items.count());
        assertEquals(9, items.next().itemId());
        assertEquals(0.5f, items.score());
        assertTrue(Float.isNaN(items.freshness()), "absent in version 1: the float null value (NaN)");
        assertEquals("popular", d.channelNames().next().name());
        assertEquals(0, d.degraded().count());
        assertEquals(0, d.stageTimes().count());
        assertEquals("m1", d.modelVersion());
        assertEquals("relevance", d.policy());
        assertEquals("", d.note());
    }

    @Test
    void eventsAndAcksCrossVersionsBothWays() {
        // v2 client -> v1 server
        final EventBatchEncoder e = new EventBatchEncoder().wrapAndApplyHeader(buffer, AT, headerV2);
        e.correlationId(41).eventsCount(2)
                .next().userId(1).itemId(10).timestampMs(5).kind(EventKind.LIKE).dwellMs(3_000)
                .next().userId(2).itemId(20).timestampMs(0).kind(EventKind.VIEW).dwellMs(100);
        int length = prefix(e.encodedLength());
        assertEquals(BinaryCodec.EVENT_BATCH, v1.wrapFrame(buffer, AT, length));
        final EventBatch batch = v1.decodeEvents(77, new EventBatch());
        assertEquals(2, batch.count());
        assertEquals(EventType.LIKE, batch.type(0));
        assertEquals(5, batch.tsMs(0));
        assertEquals(20, batch.itemId(1));
        assertEquals(77, batch.tsMs(1));

        // v1 client -> v2 server
        v1.encodeEvents(42, new EventBatch().add(3, 30, EventType.PURCHASE, 9), buffer, 0);
        headerDecoderV2.wrap(buffer, AT);
        final EventBatchDecoder.EventsDecoder events = new EventBatchDecoder().wrap(buffer,
                AT + MessageHeaderDecoder.ENCODED_LENGTH, headerDecoderV2.blockLength(), headerDecoderV2.version())
                .events();
        events.next();
        assertEquals(30, events.itemId());
        assertEquals(EventKind.PURCHASE, events.kind());
        assertEquals(EventBatchDecoder.EventsDecoder.dwellMsNullValue(), events.dwellMs());

        // v2 server -> v1 client
        final AckEncoder ack = new AckEncoder().wrapAndApplyHeader(buffer, AT, headerV2);
        ack.correlationId(43).accepted(2).logPosition(4096).durableMicros(120);
        length = prefix(ack.encodedLength());
        assertEquals(BinaryCodec.ACK, v1.wrapFrame(buffer, AT, length));
        assertEquals(new Ack(2, 4096), v1.decodeAck());

        // v1 server -> v2 client
        v1.encodeAck(44, 1, -1, buffer, 0);
        headerDecoderV2.wrap(buffer, AT);
        final AckDecoder a = new AckDecoder().wrap(buffer, AT + MessageHeaderDecoder.ENCODED_LENGTH,
                headerDecoderV2.blockLength(), headerDecoderV2.version());
        assertEquals(44, a.correlationId());
        assertEquals(1, a.accepted());
        assertEquals(-1, a.logPosition());
        assertEquals(AckDecoder.durableMicrosNullValue(), a.durableMicros());
    }

    @Test
    void trailingBytesAreOnlyToleratedFromANewerVersion() {
        final int n = v1.encodeAck(1, 1, 1, buffer, 0);
        buffer.putLong(n, 0L);
        v1.wrapFrame(buffer, AT, n - AT + 8);
        assertEquals(FrameError.MALFORMED, org.junit.jupiter.api.Assertions.assertThrows(FrameException.class,
                v1::decodeAck).error(), "a version-1 frame must end where its message ends");
        buffer.putShort(AT + 6, (short) 2, ByteOrder.LITTLE_ENDIAN); // claim version 2: more may follow
        v1.wrapFrame(buffer, AT, n - AT + 8);
        assertEquals(new Ack(1, 1), v1.decodeAck());
        assertFalse(v1.actingVersion() == BinaryCodec.SCHEMA_VERSION);
    }
}
