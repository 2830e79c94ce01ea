package io.funnel.engine.ingest;

import io.funnel.codecs.EventBatch;
import io.funnel.codecs.EventType;
import io.funnel.codecs.sbe.EventBatchDecoder;
import io.funnel.codecs.sbe.EventBatchEncoder;
import io.funnel.codecs.sbe.EventKind;
import io.funnel.codecs.sbe.MessageHeaderDecoder;
import io.funnel.codecs.sbe.MessageHeaderEncoder;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * Encodes an {@link EventBatch} as the SBE {@code EventBatch} message (schema {@code funnel-schema.xml}) — the record
 * format of the event log and the message format of the Aeron ingress stream — and decodes it back with every
 * length checked against the bytes actually received, so a truncated or foreign message is a status code, never an
 * exception or a read past its end.
 *
 * <p>Threading: an instance holds reusable flyweights; use one per thread.
 */
public final class EventBatchCodec {
    /** Decoded fine. */
    public static final int OK = 0;
    /** Shorter than the message header, the block or the declared group. */
    public static final int TRUNCATED = -1;
    /** Another schema (id) or a newer major layout than this reader understands. */
    public static final int WRONG_SCHEMA = -2;
    /** The Funnel schema, but not an EventBatch message. */
    public static final int WRONG_TEMPLATE = -3;
    /** More than {@link EventBatch#MAX_EVENTS} events, or none. */
    public static final int BAD_COUNT = -4;
    /** An event kind outside VIEW..PURCHASE. */
    public static final int BAD_KIND = -5;

    private static final int HEADER = MessageHeaderDecoder.ENCODED_LENGTH;
    private static final int GROUP_HEADER = EventBatchDecoder.EventsDecoder.HEADER_SIZE;
    private static final EventKind[] KINDS = {EventKind.VIEW, EventKind.CLICK, EventKind.LIKE, EventKind.PURCHASE};

    private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
    private final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();
    private final EventBatchEncoder encoder = new EventBatchEncoder();
    private final EventBatchDecoder decoder = new EventBatchDecoder();
    private long lastCorrelationId;

    /** Bytes {@link #encode} needs for {@code events} events. */
    public static int encodedLength(final int events) {
        return HEADER + EventBatchEncoder.BLOCK_LENGTH + GROUP_HEADER
                + events * EventBatchEncoder.EventsEncoder.sbeBlockLength();
    }

    /**
     * Writes {@code batch} at {@code offset}; the buffer must have {@link #encodedLength(int)} bytes there.
     *
     * @return bytes written
     */
    public int encode(final EventBatch batch, final long correlationId, final MutableDirectBuffer buffer,
            final int offset) {
        encoder.wrapAndApplyHeader(buffer, offset, headerEncoder).correlationId(correlationId);
        final EventBatchEncoder.EventsEncoder events = encoder.eventsCount(batch.count());
        for (int i = 0; i < batch.count(); i++) {
            events.next()
                    .userId(batch.userId(i))
                    .itemId(batch.itemId(i))
                    .timestampMs(batch.tsMs(i))
                    .kind(KINDS[batch.type(i).ordinal()]);
        }
        return HEADER + encoder.encodedLength();
    }

    /**
     * Reads one message of {@code length} bytes at {@code offset} into {@code out} (cleared first). A timestamp of 0
     * ("server receive time") becomes {@code nowMs}.
     *
     * @return {@link #OK} or a negative status ({@link #TRUNCATED}, {@link #WRONG_SCHEMA}, {@link #WRONG_TEMPLATE},
     *         {@link #BAD_COUNT}, {@link #BAD_KIND}); {@code out} is unspecified after a failure
     */
    public int decode(final DirectBuffer buffer, final int offset, final int length, final long nowMs,
            final EventBatch out) {
        out.clear();
        lastCorrelationId = 0;
        if (length < HEADER) {
            return TRUNCATED;
        }
        headerDecoder.wrap(buffer, offset);
        if (headerDecoder.schemaId() != EventBatchDecoder.SCHEMA_ID) {
            return WRONG_SCHEMA;
        }
        if (length >= HEADER + Long.BYTES) {
            // Every message of this schema starts with its correlation id: an error can name it.
            lastCorrelationId = buffer.getLong(offset + HEADER, java.nio.ByteOrder.LITTLE_ENDIAN);
        }
        if (headerDecoder.templateId() != EventBatchDecoder.TEMPLATE_ID) {
            return WRONG_TEMPLATE;
        }
        final int blockLength = headerDecoder.blockLength();
        if (blockLength < EventBatchDecoder.BLOCK_LENGTH) {
            return WRONG_SCHEMA; // a block shorter than version 1's cannot be this schema
        }
        if (length < HEADER + blockLength + GROUP_HEADER) {
            return TRUNCATED;
        }
        decoder.wrap(buffer, offset + HEADER, blockLength, headerDecoder.version());
        final int groupAt = offset + HEADER + blockLength;
        final int entryLength = buffer.getShort(groupAt, java.nio.ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
        final int count = buffer.getShort(groupAt + 2, java.nio.ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
        if (entryLength < EventBatchDecoder.EventsDecoder.sbeBlockLength()) {
            return WRONG_SCHEMA;
        }
        if (count == 0 || count > EventBatch.MAX_EVENTS) {
            return BAD_COUNT;
        }
        if ((long) HEADER + blockLength + GROUP_HEADER + (long) count * entryLength > length) {
            return TRUNCATED;
        }
        final EventBatchDecoder.EventsDecoder events = decoder.events();
        while (events.hasNext()) {
            events.next();
            final short kind = events.kindRaw();
            if (kind < 0 || kind >= KINDS.length) {
                return BAD_KIND;
            }
            final long ts = events.timestampMs();
            out.add(events.userId(), events.itemId(), EventType.ofCode((byte) kind), ts == 0 ? nowMs : ts);
        }
        return OK;
    }

    /**
     * The correlation id of the last message {@link #decode} read, when it was of this schema and long enough to hold
     * one (even if refused for another reason); otherwise 0.
     */
    public long lastCorrelationId() {
        return lastCorrelationId;
    }

    /** A short name of a negative {@link #decode} status, for metrics and logs. */
    public static String statusName(final int status) {
        return switch (status) {
            case TRUNCATED -> "truncated";
            case WRONG_SCHEMA -> "wrong_schema";
            case WRONG_TEMPLATE -> "wrong_template";
            case BAD_COUNT -> "bad_count";
            case BAD_KIND -> "bad_kind";
            default -> "status_" + status;
        };
    }
}
