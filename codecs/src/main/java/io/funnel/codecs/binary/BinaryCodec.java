package io.funnel.codecs.binary;

import io.funnel.codecs.BadInputException;
import io.funnel.codecs.EventBatch;
import io.funnel.codecs.EventType;
import io.funnel.codecs.RecommendRequest;
import io.funnel.codecs.RecommendResponse;
import io.funnel.codecs.sbe.AckDecoder;
import io.funnel.codecs.sbe.AckEncoder;
import io.funnel.codecs.sbe.BooleanType;
import io.funnel.codecs.sbe.ErrorCode;
import io.funnel.codecs.sbe.ErrorDecoder;
import io.funnel.codecs.sbe.ErrorEncoder;
import io.funnel.codecs.sbe.EventBatchDecoder;
import io.funnel.codecs.sbe.EventBatchEncoder;
import io.funnel.codecs.sbe.EventKind;
import io.funnel.codecs.sbe.MessageHeaderDecoder;
import io.funnel.codecs.sbe.MessageHeaderEncoder;
import io.funnel.codecs.sbe.RecommendRequestDecoder;
import io.funnel.codecs.sbe.RecommendRequestEncoder;
import io.funnel.codecs.sbe.RecommendResponseDecoder;
import io.funnel.codecs.sbe.RecommendResponseEncoder;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The binary protocol's message codec: SBE flyweights between frames (see {@link FrameReader}) and the domain
 * objects the JSON API uses ({@link RecommendRequest}, {@link RecommendResponse}, {@link EventBatch}). Decoding
 * applies the same rules and names fields by the same JSON paths as {@link io.funnel.codecs.JsonCodec}.
 *
 * <p>Decode a frame in two steps: {@link #wrapFrame} reads and checks the header and returns the template id, then
 * the matching {@code decode*} method reads the body. Encoders write a whole frame (length prefix, header,
 * message) at an offset of a buffer and return its size; an {@link org.agrona.ExpandableArrayBuffer} grows as
 * needed.
 *
 * <p>Errors: decoding throws only {@link BadInputException}: a {@link FrameException} when the envelope is unreadable
 * (schema, version, template, sizes), a plain {@link BadInputException} naming the field when a value is out of
 * range. No other exception escapes a decoder, whatever the bytes (the fuzz test holds it to that).
 *
 * <p>Allocation: none per message in steady state for requests and encoders (flyweights, scratch arrays, and a small
 * identity cache of the UTF-8 bytes of strings that repeat: channel names, model version, policy names); decoding
 * a response (client side) allocates its strings.
 *
 * <p>Threading: not thread-safe; one instance per thread (an event loop, a connection, a client thread).
 */
public final class BinaryCodec {
    /** Funnel's SBE schema id. */
    public static final int SCHEMA_ID = MessageHeaderDecoder.SCHEMA_ID;
    /** The schema version this codec writes, and the newest whose fields it knows. */
    public static final int SCHEMA_VERSION = MessageHeaderDecoder.SCHEMA_VERSION;
    /** The oldest schema version this codec reads; newer versions are read too (see codecs/README.md). */
    public static final int MIN_VERSION = 1;
    /** Bytes of the SBE message header. */
    public static final int HEADER_BYTES = MessageHeaderDecoder.ENCODED_LENGTH;

    public static final int RECOMMEND_REQUEST = RecommendRequestDecoder.TEMPLATE_ID;
    public static final int RECOMMEND_RESPONSE = RecommendResponseDecoder.TEMPLATE_ID;
    public static final int EVENT_BATCH = EventBatchDecoder.TEMPLATE_ID;
    public static final int ACK = AckDecoder.TEMPLATE_ID;
    public static final int ERROR = ErrorDecoder.TEMPLATE_ID;

    /** Longest policy name accepted, bytes (as the JSON API's string limit). */
    public static final int MAX_POLICY_BYTES = 4096;
    /** Longest string written into a var-data field, bytes (the wire format's limit). */
    private static final int MAX_VAR_BYTES = 65_534;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();
    private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
    private final RecommendRequestDecoder requestDecoder = new RecommendRequestDecoder();
    private final RecommendRequestEncoder requestEncoder = new RecommendRequestEncoder();
    private final RecommendResponseDecoder responseDecoder = new RecommendResponseDecoder();
    private final RecommendResponseEncoder responseEncoder = new RecommendResponseEncoder();
    private final EventBatchDecoder eventsDecoder = new EventBatchDecoder();
    private final EventBatchEncoder eventsEncoder = new EventBatchEncoder();
    private final AckDecoder ackDecoder = new AckDecoder();
    private final AckEncoder ackEncoder = new AckEncoder();
    private final ErrorDecoder errorDecoder = new ErrorDecoder();
    private final ErrorEncoder errorEncoder = new ErrorEncoder();

    /** The current frame, bounded: a read past its end throws instead of reading the next frame's bytes. */
    private final UnsafeBuffer frame = new UnsafeBuffer(0, 0);
    private int frameLength;
    private int templateId = -1;
    private int blockLength;
    private int version;
    private long correlationId;

    private byte[] scratch = new byte[256];
    /** Where the last var-data field read ended (frame offset). */
    private int stringEnd;
    private byte[] lastPolicyBytes = new byte[0];
    private String lastPolicy;

    private static final int CACHE_SLOTS = 64;
    private final String[] utf8Keys = new String[CACHE_SLOTS];
    private final byte[][] utf8Values = new byte[CACHE_SLOTS][];

    // ---------------------------------------------------------------------------------------------- decoding

    /**
     * Reads and checks the header of the frame at {@code [offset, offset + length)} of {@code buffer} (a frame
     * without its length prefix, as {@link FrameReader} hands it over).
     *
     * @return the template id: {@link #RECOMMEND_REQUEST}, {@link #RECOMMEND_RESPONSE}, {@link #EVENT_BATCH},
     *     {@link #ACK} or {@link #ERROR}
     * @throws FrameException for a frame shorter than a header, another schema id, a version older than
     *     {@link #MIN_VERSION}, an unknown template id, or a block length that is too short or does not fit
     */
    public int wrapFrame(final DirectBuffer buffer, final int offset, final int length) {
        templateId = -1;
        correlationId = 0;
        if (length < HEADER_BYTES || offset < 0 || (long) offset + length > buffer.capacity()) {
            throw new FrameException(FrameError.BAD_LENGTH, 0, "frame.length", "a frame of " + length
                    + " bytes cannot hold a message header (" + HEADER_BYTES + " bytes)");
        }
        frame.wrap(buffer, offset, length);
        frameLength = length;
        headerDecoder.wrap(frame, 0);
        final int schema = headerDecoder.schemaId();
        final int template = headerDecoder.templateId();
        blockLength = headerDecoder.blockLength();
        version = headerDecoder.version();
        if (schema != SCHEMA_ID) {
            throw new FrameException(FrameError.WRONG_SCHEMA, 0, "header.schemaId", "schema id " + schema
                    + " is not Funnel's (" + SCHEMA_ID + "): not a Funnel frame");
        }
        // Every message of every version starts with its correlation id: readable before anything else is known.
        if (blockLength >= Long.BYTES && length >= HEADER_BYTES + Long.BYTES) {
            correlationId = frame.getLong(HEADER_BYTES, LE);
        }
        if (version < MIN_VERSION) {
            throw new FrameException(FrameError.UNSUPPORTED_VERSION, correlationId, "header.version", "schema version "
                    + version + " is not supported; this side reads versions " + MIN_VERSION + " and newer");
        }
        final int minBlock = v1BlockLength(template);
        if (minBlock < 0) {
            throw new FrameException(FrameError.UNKNOWN_TEMPLATE, correlationId, "header.templateId", "template id "
                    + template + " is not a message of schema " + SCHEMA_ID + " (known: 1..5)");
        }
        if (blockLength < minBlock) {
            throw new FrameException(FrameError.MALFORMED, correlationId, "header.blockLength", "block length "
                    + blockLength + " of " + templateName(template) + " is shorter than its " + minBlock
                    + " bytes in version 1");
        }
        need(HEADER_BYTES + blockLength, "header.blockLength");
        templateId = template;
        return template;
    }

    /** Correlation id of the frame last given to {@link #wrapFrame}, or 0 when it could not be read. */
    public long correlationId() {
        return correlationId;
    }

    /** Schema version the frame last given to {@link #wrapFrame} was written with. */
    public int actingVersion() {
        return version;
    }

    /** Name of a template id for messages, e.g. {@code RecommendRequest (1)}. */
    public static String templateName(final int template) {
        final String name = switch (template) {
            case RecommendRequestDecoder.TEMPLATE_ID -> "RecommendRequest";
            case RecommendResponseDecoder.TEMPLATE_ID -> "RecommendResponse";
            case EventBatchDecoder.TEMPLATE_ID -> "EventBatch";
            case AckDecoder.TEMPLATE_ID -> "Ack";
            case ErrorDecoder.TEMPLATE_ID -> "Error";
            default -> "template";
        };
        return name + " (" + template + ")";
    }

    private static int v1BlockLength(final int template) {
        return switch (template) {
            case RecommendRequestDecoder.TEMPLATE_ID -> RecommendRequestDecoder.BLOCK_LENGTH;
            case RecommendResponseDecoder.TEMPLATE_ID -> RecommendResponseDecoder.BLOCK_LENGTH;
            case EventBatchDecoder.TEMPLATE_ID -> EventBatchDecoder.BLOCK_LENGTH;
            case AckDecoder.TEMPLATE_ID -> AckDecoder.BLOCK_LENGTH;
            case ErrorDecoder.TEMPLATE_ID -> ErrorDecoder.BLOCK_LENGTH;
            default -> -1;
        };
    }

    /**
     * Decodes the wrapped {@code RecommendRequest} into {@code out} (cleared first), with the JSON API's rules:
     * {@code userId >= 0}; {@code count} 1..{@link RecommendRequest#MAX_COUNT}; {@code category} >= 0 or -1 for any;
     * at most {@link RecommendRequest#MAX_EXCLUDE} non-negative excluded ids; at most
     * {@link RecommendRequest#MAX_BOOSTS} boosts of each kind with factors in (0, 100]; a policy name of at most
     * {@value #MAX_POLICY_BYTES} bytes (empty: the default policy); {@code budgetMicros} 0 for the server's own.
     *
     * @throws BadInputException naming the field ({@code count}, {@code context.exclude[3]}, ...), or a
     *     {@link FrameException} when sizes point past the end of the frame
     */
    public RecommendRequest decodeRecommend(final RecommendRequest out) {
        requireTemplate(RECOMMEND_REQUEST);
        out.clear();
        final RecommendRequestDecoder d = requestDecoder.wrap(frame, HEADER_BYTES, blockLength, version);
        final long userId = d.userId();
        if (userId < 0) {
            throw bad("userId", "userId must be >= 0, got " + userId);
        }
        final int count = d.count();
        if (count < 1 || count > RecommendRequest.MAX_COUNT) {
            throw bad("count", "count must be 1.." + RecommendRequest.MAX_COUNT + ", got " + count);
        }
        final int category = d.category();
        if (category < RecommendRequest.ANY_CATEGORY) {
            throw bad("context.category", "context.category must be >= 0, or -1 for any, got " + category);
        }
        out.userId(userId).count(count).explain(bool(d.explainRaw(), "explain")).category(category)
                .budgetMicros(d.budgetMicros());

        final int excludes = groupCount(d.limit(), RecommendRequestDecoder.ExcludeDecoder.sbeBlockLength(),
                "context.exclude");
        if (excludes > RecommendRequest.MAX_EXCLUDE) {
            throw bad("context.exclude", "context.exclude holds at most " + RecommendRequest.MAX_EXCLUDE
                    + " item ids, got " + excludes);
        }
        for (final RecommendRequestDecoder.ExcludeDecoder g = d.exclude(); g.hasNext(); ) {
            final long id = g.next().itemId();
            if (id < 0) {
                throw bad("context.exclude[" + out.excludeCount() + "]", "context.exclude[" + out.excludeCount()
                        + "] must be >= 0, got " + id);
            }
            out.addExclude(id);
        }

        final int categoryBoosts = groupCount(d.limit(),
                RecommendRequestDecoder.BoostCategoriesDecoder.sbeBlockLength(), "context.boostCategories");
        checkBoostCount(categoryBoosts, "context.boostCategories");
        for (final RecommendRequestDecoder.BoostCategoriesDecoder g = d.boostCategories(); g.hasNext(); ) {
            g.next();
            final int id = g.category();
            checkBoost("context.boostCategories", id, g.factor());
            out.addBoostCategory(id, g.factor());
        }

        final int itemBoosts = groupCount(d.limit(), RecommendRequestDecoder.BoostItemsDecoder.sbeBlockLength(),
                "context.boostItems");
        checkBoostCount(itemBoosts, "context.boostItems");
        for (final RecommendRequestDecoder.BoostItemsDecoder g = d.boostItems(); g.hasNext(); ) {
            g.next();
            final long id = g.itemId();
            checkBoost("context.boostItems", id, g.factor());
            out.addBoostItem(id, g.factor());
        }

        final int policyLength = varLength(d.limit(), "policy");
        if (policyLength > MAX_POLICY_BYTES) {
            throw bad("policy", "policy must be at most " + MAX_POLICY_BYTES + " bytes, got " + policyLength);
        }
        out.policy(policyLength == 0 ? null : policy(d.limit() + 2, policyLength));
        d.limit(d.limit() + 2 + policyLength);
        checkEnd(d.limit());
        return out;
    }

    /**
     * Decodes the wrapped {@code EventBatch} into {@code out} (cleared first), with the JSON API's rules: at most
     * {@link EventBatch#MAX_EVENTS} events (413 beyond), non-negative user and item ids, a known kind, and a
     * timestamp in epoch milliseconds, 0 meaning {@code nowMs}.
     *
     * @throws BadInputException naming the field ({@code events[3].type}, ...), or a {@link FrameException} when
     *     sizes point past the end of the frame
     */
    public EventBatch decodeEvents(final long nowMs, final EventBatch out) {
        requireTemplate(EVENT_BATCH);
        out.clear();
        final EventBatchDecoder d = eventsDecoder.wrap(frame, HEADER_BYTES, blockLength, version);
        final int n = groupCount(d.limit(), EventBatchDecoder.EventsDecoder.sbeBlockLength(), "events");
        if (n > EventBatch.MAX_EVENTS) {
            throw new BadInputException(413, "events", "a batch holds at most " + EventBatch.MAX_EVENTS
                    + " events, got " + n);
        }
        int i = 0;
        for (final EventBatchDecoder.EventsDecoder g = d.events(); g.hasNext(); i++) {
            g.next();
            final long userId = g.userId();
            if (userId < 0) {
                throw bad("events[" + i + "].userId", "events[" + i + "].userId must be >= 0, got " + userId);
            }
            final long itemId = g.itemId();
            if (itemId < 0) {
                throw bad("events[" + i + "].itemId", "events[" + i + "].itemId must be >= 0, got " + itemId);
            }
            final long ts = g.timestampMs();
            if (ts < 0) {
                throw bad("events[" + i + "].ts", "events[" + i + "].ts must be epoch milliseconds > 0, or 0 for"
                        + " the server's receive time, got " + ts);
            }
            final short kind = g.kindRaw();
            if (kind < 0 || kind > EventKind.PURCHASE.value()) {
                throw bad("events[" + i + "].type", "events[" + i + "].type must be 0..3 (view, click, like,"
                        + " purchase), got " + kind);
            }
            out.add(userId, itemId, EventType.ofCode(kind), ts == 0 ? nowMs : ts);
        }
        checkEnd(d.limit());
        return out;
    }

    /**
     * Decodes the wrapped {@code RecommendResponse} into {@code out} (cleared first; channel names get a new array).
     *
     * @throws BadInputException when the frame is malformed
     */
    public RecommendResponse decodeResponse(final RecommendResponse out) {
        requireTemplate(RECOMMEND_RESPONSE);
        out.clear();
        final RecommendResponseDecoder d = responseDecoder.wrap(frame, HEADER_BYTES, blockLength, version);
        out.userId(d.userId()).tookMicros(d.tookMicros()).coldStart(bool(d.coldStartRaw(), "coldStart"))
                .explain(bool(d.explainRaw(), "explain"));
        final int items = groupCount(d.limit(), RecommendResponseDecoder.ItemsDecoder.sbeBlockLength(), "items");
        out.ensureCapacity(items);
        for (final RecommendResponseDecoder.ItemsDecoder g = d.items(); g.hasNext(); ) {
            g.next();
            out.addItem(g.itemId(), g.score(), (int) g.channelMask(), g.preRankScore(), g.rankScore(),
                    bool(g.explorationRaw(), "items.exploration"));
        }
        final int channels = groupCount(d.limit(), RecommendResponseDecoder.ChannelNamesDecoder.sbeBlockLength(),
                "channelNames");
        final String[] names = new String[channels];
        int c = 0;
        for (final RecommendResponseDecoder.ChannelNamesDecoder g = d.channelNames(); g.hasNext(); c++) {
            g.next();
            names[c] = string(d.limit(), "channelNames[" + c + "]");
            d.limit(stringEnd);
        }
        out.channelNames(names);
        groupCount(d.limit(), RecommendResponseDecoder.DegradedDecoder.sbeBlockLength(), "degraded");
        for (final RecommendResponseDecoder.DegradedDecoder g = d.degraded(); g.hasNext(); ) {
            g.next();
            out.addDegraded(string(d.limit(), "degraded"));
            d.limit(stringEnd);
        }
        groupCount(d.limit(), RecommendResponseDecoder.StageTimesDecoder.sbeBlockLength(), "stageTimes");
        for (final RecommendResponseDecoder.StageTimesDecoder g = d.stageTimes(); g.hasNext(); ) {
            g.next();
            final long micros = g.micros();
            out.addStageTime(string(d.limit(), "stageTimes"), micros);
            d.limit(stringEnd);
        }
        out.modelVersion(string(d.limit(), "modelVersion"));
        d.limit(stringEnd);
        out.policy(string(d.limit(), "policy"));
        d.limit(stringEnd);
        checkEnd(d.limit());
        return out;
    }

    /** Decodes the wrapped {@code Ack}. */
    public Ack decodeAck() {
        requireTemplate(ACK);
        final AckDecoder d = ackDecoder.wrap(frame, HEADER_BYTES, blockLength, version);
        final Ack ack = new Ack((int) d.accepted(), d.logPosition());
        checkEnd(d.limit());
        return ack;
    }

    /**
     * Decodes the wrapped {@code Error}; an empty field reads as {@code null}.
     *
     * @throws BadInputException when the frame is malformed
     */
    public ErrorReply decodeError() {
        requireTemplate(ERROR);
        final ErrorDecoder d = errorDecoder.wrap(frame, HEADER_BYTES, blockLength, version);
        final int status = d.codeRaw();
        final String field = string(d.limit(), "field");
        d.limit(stringEnd);
        final String message = string(d.limit(), "message");
        d.limit(stringEnd);
        checkEnd(d.limit());
        return new ErrorReply(status, field.isEmpty() ? null : field, message);
    }

    private void requireTemplate(final int expected) {
        if (templateId != expected) {
            throw new IllegalStateException("the wrapped frame is " + (templateId < 0 ? "unreadable or missing"
                    : templateName(templateId)) + ", not " + templateName(expected) + ": call wrapFrame first");
        }
    }

    /** Checks a group header at {@code at} and its whole block fits; returns the number of entries. */
    private int groupCount(final int at, final int minBlockLength, final String field) {
        need(at + 4, field);
        final int groupBlock = frame.getShort(at, LE) & 0xFFFF;
        final int count = frame.getShort(at + 2, LE) & 0xFFFF;
        if (groupBlock < minBlockLength) {
            throw new FrameException(FrameError.MALFORMED, correlationId, field, field + ": entries of "
                    + groupBlock + " bytes are shorter than version 1's " + minBlockLength);
        }
        need(at + 4 + (long) groupBlock * count, field);
        return count;
    }

    private int varLength(final int at, final String field) {
        need(at + 2, field);
        final int length = frame.getShort(at, LE) & 0xFFFF;
        need(at + 2 + length, field);
        return length;
    }

    /** Reads a var-data string at {@code at}; sets {@link #stringEnd}. */
    private String string(final int at, final String field) {
        final int length = varLength(at, field);
        stringEnd = at + 2 + length;
        return length == 0 ? "" : frame.getStringWithoutLengthUtf8(at + 2, length);
    }

    /** The policy name at {@code at}: the previous request's String when the bytes are the same (the usual case). */
    private String policy(final int at, final int length) {
        if (scratch.length < length) {
            scratch = new byte[Math.max(length, scratch.length * 2)];
        }
        frame.getBytes(at, scratch, 0, length);
        if (lastPolicy != null && Arrays.equals(scratch, 0, length, lastPolicyBytes, 0, lastPolicyBytes.length)) {
            return lastPolicy;
        }
        lastPolicyBytes = Arrays.copyOf(scratch, length);
        lastPolicy = new String(lastPolicyBytes, StandardCharsets.UTF_8);
        return lastPolicy;
    }

    private void need(final long end, final String field) {
        if (end > frameLength) {
            throw new FrameException(FrameError.MALFORMED, correlationId, field, field + " runs past the end of the"
                    + " frame: needs " + end + " bytes, the frame has " + frameLength);
        }
    }

    /** A frame of this codec's version or older must end where its message ends; a newer one may carry more. */
    private void checkEnd(final int end) {
        if (version <= SCHEMA_VERSION && end != frameLength) {
            throw new FrameException(FrameError.MALFORMED, correlationId, "frame.length", (frameLength - end)
                    + " bytes follow the end of the " + templateName(templateId) + " message in a frame of "
                    + frameLength + " bytes");
        }
    }

    private boolean bool(final short raw, final String field) {
        if (raw == BooleanType.TRUE.value()) {
            return true;
        }
        if (raw == BooleanType.FALSE.value()) {
            return false;
        }
        throw bad(field, field + " must be 0 (false) or 1 (true), got " + raw);
    }

    private static void checkBoostCount(final int n, final String field) {
        if (n > RecommendRequest.MAX_BOOSTS) {
            throw new BadInputException(field, field + " holds at most " + RecommendRequest.MAX_BOOSTS
                    + " entries, got " + n);
        }
    }

    private static void checkBoost(final String at, final long id, final float factor) {
        if (!(factor > 0 && factor <= 100) || id < 0) {
            final String path = at + "." + id;
            throw new BadInputException(path, path + " must be a factor in (0, 100] for a non-negative id, got "
                    + factor);
        }
    }

    private static BadInputException bad(final String field, final String message) {
        return new BadInputException(field, message);
    }

    // ---------------------------------------------------------------------------------------------- encoding

    /**
     * Writes a {@code RecommendRequest} frame for {@code request} at {@code offset}.
     *
     * @return bytes written, length prefix included
     * @throws IllegalArgumentException when a list is longer than the wire format allows (65,534 entries)
     */
    public int encodeRecommend(final long correlationId, final RecommendRequest request, final MutableDirectBuffer out,
            final int offset) {
        final RecommendRequestEncoder e = requestEncoder.wrapAndApplyHeader(out, offset + FrameReader.LENGTH_BYTES,
                headerEncoder);
        e.correlationId(correlationId)
                .userId(request.userId())
                .count(request.count())
                .explain(request.explain() ? BooleanType.TRUE : BooleanType.FALSE)
                .category(request.category())
                .budgetMicros(request.budgetMicros());
        final RecommendRequestEncoder.ExcludeEncoder exclude = e.excludeCount(request.excludeCount());
        for (int i = 0; i < request.excludeCount(); i++) {
            exclude.next().itemId(request.exclude(i));
        }
        final RecommendRequestEncoder.BoostCategoriesEncoder categories =
                e.boostCategoriesCount(request.boostCategoryCount());
        for (int i = 0; i < request.boostCategoryCount(); i++) {
            categories.next().category(request.boostCategory(i)).factor(request.boostCategoryFactor(i));
        }
        final RecommendRequestEncoder.BoostItemsEncoder items = e.boostItemsCount(request.boostItemCount());
        for (int i = 0; i < request.boostItemCount(); i++) {
            items.next().itemId(request.boostItem(i)).factor(request.boostItemFactor(i));
        }
        final byte[] policy = utf8(request.policy());
        e.putPolicy(policy, 0, Math.min(policy.length, MAX_VAR_BYTES));
        return prefix(out, offset, e.encodedLength());
    }

    /**
     * Writes a {@code RecommendResponse} frame for {@code response} at {@code offset}. Per-item pre-rank and rank
     * scores are written always (meaningful with explain); stage times only with explain, as in the JSON API.
     *
     * @return bytes written, length prefix included
     */
    public int encodeResponse(final long correlationId, final RecommendResponse response,
            final MutableDirectBuffer out, final int offset) {
        final RecommendResponseEncoder e = responseEncoder.wrapAndApplyHeader(out,
                offset + FrameReader.LENGTH_BYTES, headerEncoder);
        e.correlationId(correlationId)
                .userId(response.userId())
                .tookMicros(response.tookMicros())
                .coldStart(response.coldStart() ? BooleanType.TRUE : BooleanType.FALSE)
                .explain(response.explain() ? BooleanType.TRUE : BooleanType.FALSE);
        final RecommendResponseEncoder.ItemsEncoder items = e.itemsCount(response.count());
        for (int i = 0; i < response.count(); i++) {
            items.next()
                    .itemId(response.itemId(i))
                    .score(response.score(i))
                    .channelMask(response.channelMask(i) & 0xFFFF_FFFFL)
                    .exploration(response.exploration(i) ? BooleanType.TRUE : BooleanType.FALSE)
                    .preRankScore(response.preRankScore(i))
                    .rankScore(response.rankScore(i));
        }
        final String[] channels = response.channelNames();
        final RecommendResponseEncoder.ChannelNamesEncoder names = e.channelNamesCount(channels.length);
        for (final String channel : channels) {
            final byte[] b = utf8(channel);
            names.next().putName(b, 0, Math.min(b.length, MAX_VAR_BYTES));
        }
        final RecommendResponseEncoder.DegradedEncoder degraded = e.degradedCount(response.degraded().size());
        for (int i = 0; i < response.degraded().size(); i++) {
            final byte[] b = utf8(response.degraded().get(i));
            degraded.next().putStage(b, 0, Math.min(b.length, MAX_VAR_BYTES));
        }
        final int stages = response.explain() ? response.stageCount() : 0;
        final RecommendResponseEncoder.StageTimesEncoder times = e.stageTimesCount(stages);
        for (int i = 0; i < stages; i++) {
            final byte[] b = utf8(response.stageName(i));
            times.next().micros(response.stageMicros(i)).putStage(b, 0, Math.min(b.length, MAX_VAR_BYTES));
        }
        final byte[] model = utf8(response.modelVersion());
        e.putModelVersion(model, 0, Math.min(model.length, MAX_VAR_BYTES));
        final byte[] policy = utf8(response.policy());
        e.putPolicy(policy, 0, Math.min(policy.length, MAX_VAR_BYTES));
        return prefix(out, offset, e.encodedLength());
    }

    /**
     * Writes an {@code EventBatch} frame for {@code batch} at {@code offset}; event times go as they are (use 0 for
     * "when the server receives it").
     *
     * @return bytes written, length prefix included
     */
    public int encodeEvents(final long correlationId, final EventBatch batch, final MutableDirectBuffer out,
            final int offset) {
        final EventBatchEncoder e = eventsEncoder.wrapAndApplyHeader(out, offset + FrameReader.LENGTH_BYTES,
                headerEncoder);
        e.correlationId(correlationId);
        final EventBatchEncoder.EventsEncoder events = e.eventsCount(batch.count());
        for (int i = 0; i < batch.count(); i++) {
            events.next()
                    .userId(batch.userId(i))
                    .itemId(batch.itemId(i))
                    .timestampMs(batch.tsMs(i))
                    .kind(EventKind.get((short) batch.type(i).ordinal()));
        }
        return prefix(out, offset, e.encodedLength());
    }

    /** Writes an {@code Ack} frame at {@code offset}; returns bytes written, length prefix included. */
    public int encodeAck(final long correlationId, final int accepted, final long logPosition,
            final MutableDirectBuffer out, final int offset) {
        final AckEncoder e = ackEncoder.wrapAndApplyHeader(out, offset + FrameReader.LENGTH_BYTES, headerEncoder);
        e.correlationId(correlationId).accepted(accepted & 0xFFFF_FFFFL).logPosition(logPosition);
        return prefix(out, offset, e.encodedLength());
    }

    /**
     * Writes an {@code Error} frame at {@code offset}; returns bytes written, length prefix included.
     *
     * @param status  400, 413, 422, 500, 503 or 505 (anything else goes as 400)
     * @param field   the offending field as a JSON path, or {@code null}
     * @param message what was expected and what arrived
     */
    public int encodeError(final long correlationId, final int status, final String field, final String message,
            final MutableDirectBuffer out, final int offset) {
        final ErrorEncoder e = errorEncoder.wrapAndApplyHeader(out, offset + FrameReader.LENGTH_BYTES, headerEncoder);
        e.correlationId(correlationId).code(errorCode(status));
        final byte[] f = field == null ? new byte[0] : field.getBytes(StandardCharsets.UTF_8);
        e.putField(f, 0, Math.min(f.length, MAX_VAR_BYTES));
        final byte[] m = message == null ? new byte[0] : message.getBytes(StandardCharsets.UTF_8);
        e.putMessage(m, 0, Math.min(m.length, MAX_VAR_BYTES));
        return prefix(out, offset, e.encodedLength());
    }

    private static ErrorCode errorCode(final int status) {
        return switch (status) {
            case 413 -> ErrorCode.TOO_LARGE;
            case 422 -> ErrorCode.UNPROCESSABLE;
            case 500 -> ErrorCode.INTERNAL;
            case 503 -> ErrorCode.OVERLOADED;
            case 505 -> ErrorCode.UNSUPPORTED_VERSION;
            default -> ErrorCode.BAD_REQUEST;
        };
    }

    private static int prefix(final MutableDirectBuffer out, final int offset, final int encodedLength) {
        final int length = HEADER_BYTES + encodedLength;
        out.putInt(offset, length, LE);
        return FrameReader.LENGTH_BYTES + length;
    }

    /** UTF-8 bytes of {@code s} ({@code null} reads as empty), cached by identity: the same String costs nothing. */
    private byte[] utf8(final String s) {
        if (s == null || s.isEmpty()) {
            return EMPTY;
        }
        final int slot = System.identityHashCode(s) & (CACHE_SLOTS - 1);
        if (utf8Keys[slot] == s) {
            return utf8Values[slot];
        }
        final byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        utf8Keys[slot] = s;
        utf8Values[slot] = bytes;
        return bytes;
    }

    private static final byte[] EMPTY = new byte[0];
}
