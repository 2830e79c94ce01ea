package io.funnel.engine.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.funnel.codecs.EventBatch;
import io.funnel.codecs.EventType;
import io.funnel.codecs.sbe.AckEncoder;
import io.funnel.codecs.sbe.MessageHeaderEncoder;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

class EventBatchCodecTest {
    private final EventBatchCodec codec = new EventBatchCodec();

    private static EventBatch sample() {
        return new EventBatch()
                .add(1, 100, EventType.VIEW, 1_763_900_000_000L)
                .add(2, 200, EventType.CLICK, 1_763_900_000_001L)
                .add(3, 300, EventType.LIKE, 0)
                .add(4, 400, EventType.PURCHASE, 1_763_900_000_003L);
    }

    @Test
    void roundTripsEveryFieldAndFillsAMissingTimestamp() {
        final ExpandableArrayBuffer buffer = new ExpandableArrayBuffer(256);
        final int length = codec.encode(sample(), 77, buffer, 16);
        assertEquals(EventBatchCodec.encodedLength(4), length);
        final EventBatch out = new EventBatch();
        assertEquals(EventBatchCodec.OK, codec.decode(buffer, 16, length, 42L, out));
        assertEquals(77, codec.lastCorrelationId());
        assertEquals(4, out.count());
        final EventBatch in = sample();
        for (int i = 0; i < 4; i++) {
            assertEquals(in.userId(i), out.userId(i));
            assertEquals(in.itemId(i), out.itemId(i));
            assertEquals(in.type(i), out.type(i));
        }
        assertEquals(1_763_900_000_001L, out.tsMs(1));
        assertEquals(42L, out.tsMs(2), "timestamp 0 means the server's receive time");
    }

    @Test
    void everyTruncationIsReportedNotReadPast() {
        final ExpandableArrayBuffer buffer = new ExpandableArrayBuffer(256);
        final int length = codec.encode(sample(), 1, buffer, 0);
        for (int cut = 0; cut < length; cut++) {
            assertEquals(EventBatchCodec.TRUNCATED, codec.decode(buffer, 0, cut, 0, new EventBatch()), "cut at "
                    + cut);
        }
    }

    @Test
    void refusesOtherSchemasTemplatesKindsAndCounts() {
        final ExpandableArrayBuffer buffer = new ExpandableArrayBuffer(256);
        final int length = codec.encode(sample(), 1, buffer, 0);
        final EventBatch out = new EventBatch();

        final UnsafeBuffer foreign = copy(buffer, length);
        foreign.putShort(4, (short) 999); // schema id
        assertEquals(EventBatchCodec.WRONG_SCHEMA, codec.decode(foreign, 0, length, 0, out));

        final UnsafeBuffer ack = new UnsafeBuffer(new byte[64]);
        new AckEncoder().wrapAndApplyHeader(ack, 0, new MessageHeaderEncoder()).correlationId(5).accepted(1);
        assertEquals(EventBatchCodec.WRONG_TEMPLATE, codec.decode(ack, 0, 64, 0, out));

        final UnsafeBuffer badKind = copy(buffer, length);
        final int firstKind = 8 + 8 + 4 + 24; // header, correlationId, group header, userId+itemId+timestampMs
        badKind.putByte(firstKind, (byte) 9);
        assertEquals(EventBatchCodec.BAD_KIND, codec.decode(badKind, 0, length, 0, out));

        final UnsafeBuffer empty = copy(buffer, length);
        empty.putShort(8 + 8 + 2, (short) 0); // numInGroup
        assertEquals(EventBatchCodec.BAD_COUNT, codec.decode(empty, 0, length, 0, out));

        final UnsafeBuffer tooMany = copy(buffer, length);
        tooMany.putShort(8 + 8 + 2, (short) (EventBatch.MAX_EVENTS + 1));
        assertEquals(EventBatchCodec.BAD_COUNT, codec.decode(tooMany, 0, length, 0, out));
    }

    private static UnsafeBuffer copy(final ExpandableArrayBuffer from, final int length) {
        final UnsafeBuffer to = new UnsafeBuffer(new byte[length]);
        to.putBytes(0, from, 0, length);
        return to;
    }
}
