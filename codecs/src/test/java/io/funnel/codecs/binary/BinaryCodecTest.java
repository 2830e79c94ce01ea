package io.funnel.codecs.binary;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.funnel.codecs.BadInputException;
import io.funnel.codecs.EventBatch;
import io.funnel.codecs.EventType;
import io.funnel.codecs.RecommendRequest;
import io.funnel.codecs.RecommendResponse;
import java.nio.ByteOrder;
import java.util.List;
import java.util.function.Consumer;
import org.agrona.ExpandableArrayBuffer;
import org.junit.jupiter.api.Test;

/** Every message through SBE and back; the JSON API's validation rules, with the same field names. */
class BinaryCodecTest {
    private final BinaryCodec codec = new BinaryCodec();
    private final ExpandableArrayBuffer buffer = new ExpandableArrayBuffer(64);

    /** Wraps the frame written at offset 0 (after its length prefix) and returns its template id. */
    private int wrap(final int written) {
        assertEquals(written - FrameReader.LENGTH_BYTES, buffer.getInt(0, ByteOrder.LITTLE_ENDIAN),
                "the length prefix counts the message, header included, not itself");
        return codec.wrapFrame(buffer, FrameReader.LENGTH_BYTES, written - FrameReader.LENGTH_BYTES);
    }

    static RecommendRequest fullRequest() {
        return new RecommendRequest().userId(42).count(7).explain(true).category(3).policy("diverse")
                .budgetMicros(2500).addExclude(5).addExclude(6).addBoostCategory(3, 1.5f).addBoostCategory(7, 2f)
                .addBoostItem(100042L, 0.5f);
    }

    @Test
    void recommendRequestRoundTrip() {
        final int n = codec.encodeRecommend(17, fullRequest(), buffer, 0);
        assertEquals(BinaryCodec.RECOMMEND_REQUEST, wrap(n));
        assertEquals(17, codec.correlationId());
        final RecommendRequest r = codec.decodeRecommend(new RecommendRequest().addExclude(99));
        assertEquals(42, r.userId());
        assertEquals(7, r.count());
        assertTrue(r.explain());
        assertEquals(3, r.category());
        assertEquals("diverse", r.policy());
        assertEquals(2500, r.budgetMicros());
        assertEquals(2, r.excludeCount(), "the holder is cleared first");
        assertEquals(6, r.exclude(1));
        assertEquals(2, r.boostCategoryCount());
        assertEquals(7, r.boostCategory(1));
        assertEquals(2f, r.boostCategoryFactor(1));
        assertEquals(1, r.boostItemCount());
        assertEquals(100042L, r.boostItem(0));
        assertEquals(0.5f, r.boostItemFactor(0));
    }

    @Test
    void defaultsRoundTripAndRepeatedPolicyNamesAreNotReallocated() {
        final RecommendRequest plain = new RecommendRequest().userId(1);
        wrap(codec.encodeRecommend(1, plain, buffer, 0));
        final RecommendRequest r = codec.decodeRecommend(new RecommendRequest());
        assertEquals(10, r.count());
        assertEquals(RecommendRequest.ANY_CATEGORY, r.category());
        assertNull(r.policy(), "an empty policy means the default");
        assertEquals(0, r.budgetMicros());

        wrap(codec.encodeRecommend(2, new RecommendRequest().userId(1).policy("dpp"), buffer, 0));
        final String first = codec.decodeRecommend(new RecommendRequest()).policy();
        wrap(codec.encodeRecommend(3, new RecommendRequest().userId(1).policy(new String("dpp")), buffer, 0));
        assertSame(first, codec.decodeRecommend(new RecommendRequest()).policy());
    }

    @Test
    void recommendResponseRoundTrip() {
        final RecommendResponse in = new RecommendResponse().userId(42).coldStart(true).explain(true).tookMicros(870)
                .modelVersion("logistic-1").policy("diverse").channelNames(new String[] {"popular", "itemcf", "ann"});
        in.addItem(124117L, 0.31f, 0b101, 0.2f, 0.3f, false);
        in.addItem(17L, 0.12f, 0, 0.1f, 0.05f, true);
        in.addDegraded("retrieve.ann");
        in.addStageTime("retrieve", 154);
        in.addStageTime("rank", 27);
        assertEquals(BinaryCodec.RECOMMEND_RESPONSE, wrap(codec.encodeResponse(9, in, buffer, 0)));
        assertEquals(9, codec.correlationId());
        final RecommendResponse r = codec.decodeResponse(new RecommendResponse());
        assertEquals(42, r.userId());
        assertTrue(r.coldStart());
        assertTrue(r.explain());
        assertEquals(870, r.tookMicros());
        assertEquals("logistic-1", r.modelVersion());
        assertEquals("diverse", r.policy());
        assertArrayEquals(new String[] {"popular", "itemcf", "ann"}, r.channelNames());
        assertEquals(2, r.count());
        assertEquals(124117L, r.itemId(0));
        assertEquals(0.31f, r.score(0));
        assertEquals(0b101, r.channelMask(0));
        assertEquals(0.2f, r.preRankScore(0));
        assertEquals(0.3f, r.rankScore(0));
        assertFalse(r.exploration(0));
        assertTrue(r.exploration(1));
        assertEquals(List.of("retrieve.ann"), r.degraded());
        assertEquals(2, r.stageCount());
        assertEquals("rank", r.stageName(1));
        assertEquals(27, r.stageMicros(1));
    }

    @Test
    void stageTimesTravelOnlyWithExplain() {
        final RecommendResponse in = new RecommendResponse().userId(1).channelNames(new String[0]);
        in.addStageTime("rank", 27);
        wrap(codec.encodeResponse(1, in, buffer, 0));
        final RecommendResponse r = codec.decodeResponse(new RecommendResponse());
        assertFalse(r.explain());
        assertEquals(0, r.stageCount());
        assertEquals(0, r.count());
        assertEquals("", r.modelVersion());
    }

    @Test
    void eventBatchRoundTripWithServerTimeForZero() {
        final EventBatch in = new EventBatch(2).add(1, 10, EventType.VIEW, 1_763_900_000_000L)
                .add(2, 20, EventType.PURCHASE, 0).add(3, 30, EventType.LIKE, 5);
        assertEquals(BinaryCodec.EVENT_BATCH, wrap(codec.encodeEvents(5, in, buffer, 0)));
        final EventBatch b = codec.decodeEvents(777, new EventBatch());
        assertEquals(3, b.count());
        assertEquals(1, b.userId(0));
        assertEquals(10, b.itemId(0));
        assertEquals(EventType.VIEW, b.type(0));
        assertEquals(1_763_900_000_000L, b.tsMs(0));
        assertEquals(777, b.tsMs(1), "0 means the server's receive time");
        assertEquals(EventType.PURCHASE, b.type(1));
        assertEquals(EventType.LIKE, b.type(2));
        assertEquals(5, b.tsMs(2));
    }

    @Test
    void ackAndErrorRoundTrip() {
        assertEquals(BinaryCodec.ACK, wrap(codec.encodeAck(11, 3, 4096, buffer, 0)));
        assertEquals(new Ack(3, 4096), codec.decodeAck());
        assertEquals(11, codec.correlationId());
        for (final int status : new int[] {400, 413, 422, 500, 503, 505}) {
            assertEquals(BinaryCodec.ERROR, wrap(codec.encodeError(12, status, "events[3].itemId", "not in catalog",
                    buffer, 0)));
            assertEquals(new ErrorReply(status, "events[3].itemId", "not in catalog"), codec.decodeError());
        }
        wrap(codec.encodeError(0, 418, null, "x", buffer, 0));
        assertEquals(new ErrorReply(400, null, "x"), codec.decodeError(), "unknown statuses go as 400");
    }

    private BadInputException badRequest(final Consumer<RecommendRequest> change) {
        final RecommendRequest r = new RecommendRequest().userId(1);
        change.accept(r);
        wrap(codec.encodeRecommend(3, r, buffer, 0));
        return assertThrows(BadInputException.class, () -> codec.decodeRecommend(new RecommendRequest()));
    }

    @Test
    void recommendFieldsAreValidatedLikeTheJsonApi() {
        assertEquals("count", badRequest(r -> r.count(0)).field());
        assertEquals("count", badRequest(r -> r.count(RecommendRequest.MAX_COUNT + 1)).field());
        assertEquals("userId", badRequest(r -> r.userId(-5)).field());
        assertEquals("context.category", badRequest(r -> r.category(-2)).field());
        assertEquals("context.exclude", badRequest(r -> {
            for (int i = 0; i <= RecommendRequest.MAX_EXCLUDE; i++) {
                r.addExclude(i);
            }
        }).field());
        assertEquals("context.exclude[1]", badRequest(r -> r.addExclude(4).addExclude(-4)).field());
        assertEquals("context.boostCategories.3", badRequest(r -> r.addBoostCategory(3, 0f)).field());
        assertEquals("context.boostItems.9", badRequest(r -> r.addBoostItem(9, Float.NaN)).field());
        assertEquals("context.boostItems.9", badRequest(r -> r.addBoostItem(9, 101f)).field());
        assertEquals("context.boostItems", badRequest(r -> {
            for (int i = 0; i <= RecommendRequest.MAX_BOOSTS; i++) {
                r.addBoostItem(i, 2f);
            }
        }).field());
        assertEquals("policy", badRequest(r -> r.policy("p".repeat(BinaryCodec.MAX_POLICY_BYTES + 1))).field());
        final BadInputException e = badRequest(r -> r.count(0));
        assertEquals(400, e.status());
        assertTrue(e.getMessage().contains("count must be 1..500, got 0"), e.getMessage());
        assertFalse(e instanceof FrameException, "a bad value is not a frame error");
    }

    @Test
    void eventFieldsAreValidatedLikeTheJsonApi() {
        final EventBatch big = new EventBatch();
        for (int i = 0; i <= EventBatch.MAX_EVENTS; i++) {
            big.add(1, 2, EventType.CLICK, 0);
        }
        wrap(codec.encodeEvents(1, big, buffer, 0));
        final BadInputException tooMany = assertThrows(BadInputException.class,
                () -> codec.decodeEvents(1, new EventBatch()));
        assertEquals(413, tooMany.status());
        assertEquals("events", tooMany.field());

        wrap(codec.encodeEvents(1, new EventBatch().add(1, 2, EventType.CLICK, 0).add(1, -2, EventType.CLICK, 0),
                buffer, 0));
        assertEquals("events[1].itemId", assertThrows(BadInputException.class,
                () -> codec.decodeEvents(1, new EventBatch())).field());
        wrap(codec.encodeEvents(1, new EventBatch().add(1, 2, EventType.CLICK, -1), buffer, 0));
        assertEquals("events[0].ts", assertThrows(BadInputException.class,
                () -> codec.decodeEvents(1, new EventBatch())).field());

        // An event kind outside the enum: patch the byte on the wire.
        final int n = codec.encodeEvents(1, new EventBatch().add(1, 2, EventType.CLICK, 3), buffer, 0);
        buffer.putByte(n - 1, (byte) 9);
        wrap(n);
        final BadInputException kind = assertThrows(BadInputException.class,
                () -> codec.decodeEvents(1, new EventBatch()));
        assertEquals("events[0].type", kind.field());
        assertTrue(kind.getMessage().contains("got 9"), kind.getMessage());
    }

    @Test
    void headerErrorsAreFrameErrorsWithTheCorrelationIdWhenReadable() {
        final int n = codec.encodeRecommend(44, new RecommendRequest().userId(1), buffer, 0);
        final int headerAt = FrameReader.LENGTH_BYTES;

        buffer.putShort(headerAt + 4, (short) 999, ByteOrder.LITTLE_ENDIAN); // schema id
        FrameException e = assertThrows(FrameException.class, () -> wrap(n));
        assertEquals(FrameError.WRONG_SCHEMA, e.error());
        assertEquals(0, e.correlationId(), "another schema's bytes are not trusted");
        assertEquals("header.schemaId", e.field());
        assertTrue(e.error().closesConnection());
        buffer.putShort(headerAt + 4, (short) BinaryCodec.SCHEMA_ID, ByteOrder.LITTLE_ENDIAN);

        buffer.putShort(headerAt + 6, (short) 0, ByteOrder.LITTLE_ENDIAN); // version
        e = assertThrows(FrameException.class, () -> wrap(n));
        assertEquals(FrameError.UNSUPPORTED_VERSION, e.error());
        assertEquals(44, e.correlationId());
        assertEquals(505, e.status());
        assertFalse(e.error().closesConnection());
        buffer.putShort(headerAt + 6, (short) 1, ByteOrder.LITTLE_ENDIAN);

        buffer.putShort(headerAt + 2, (short) 77, ByteOrder.LITTLE_ENDIAN); // template id
        e = assertThrows(FrameException.class, () -> wrap(n));
        assertEquals(FrameError.UNKNOWN_TEMPLATE, e.error());
        assertEquals(44, e.correlationId());
        buffer.putShort(headerAt + 2, (short) BinaryCodec.RECOMMEND_REQUEST, ByteOrder.LITTLE_ENDIAN);

        buffer.putShort(headerAt, (short) 12, ByteOrder.LITTLE_ENDIAN); // block length shorter than v1's
        e = assertThrows(FrameException.class, () -> wrap(n));
        assertEquals(FrameError.MALFORMED, e.error());
        assertEquals("header.blockLength", e.field());
    }

    @Test
    void truncatedAndPaddedMessagesAreMalformed() {
        final int n = codec.encodeRecommend(8, fullRequest(), buffer, 0);
        for (int cut = 1; cut < n - FrameReader.LENGTH_BYTES - BinaryCodec.HEADER_BYTES; cut++) {
            final int length = n - FrameReader.LENGTH_BYTES - cut;
            final FrameException e = assertThrows(FrameException.class, () -> {
                codec.wrapFrame(buffer, FrameReader.LENGTH_BYTES, length);
                codec.decodeRecommend(new RecommendRequest());
            }, "cut " + cut);
            assertEquals(FrameError.MALFORMED, e.error(), "cut " + cut);
        }
        codec.wrapFrame(buffer, FrameReader.LENGTH_BYTES, n - FrameReader.LENGTH_BYTES + 3);
        final FrameException padded = assertThrows(FrameException.class,
                () -> codec.decodeRecommend(new RecommendRequest()));
        assertEquals("frame.length", padded.field());
    }

    @Test
    void decodingWithoutAWrappedFrameIsAProgrammingError() {
        assertThrows(IllegalStateException.class, () -> new BinaryCodec().decodeAck());
        wrap(codec.encodeAck(1, 1, 1, buffer, 0));
        assertThrows(IllegalStateException.class, () -> codec.decodeRecommend(new RecommendRequest()));
    }
}
