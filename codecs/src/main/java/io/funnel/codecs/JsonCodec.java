package io.funnel.codecs;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;

/**
 * The JSON mapping of the HTTP API: strict streaming decoders for {@code POST /v1/recommend} and
 * {@code POST /v1/events} that name the offending field in every error, and encoders for responses and errors.
 *
 * <p>Threading: stateless apart from the shared, thread-safe {@link JsonFactory}; safe for concurrent use.
 */
public final class JsonCodec {
    private static final JsonFactory FACTORY = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(16)
                    .maxStringLength(4096)
                    .maxNumberLength(32)
                    .build())
            .build();

    private JsonCodec() {}

    /**
     * Decodes a recommendation request into {@code out}.
     *
     * <pre>{"userId": 42, "count": 10, "explain": false, "policy": "diverse",
     *  "context": {"category": 3, "exclude": [17, 23], "boostCategories": {"5": 1.5}, "boostItems": {"17": 2}}}</pre>
     *
     * @throws BadInputException naming the field for malformed JSON, wrong types, out-of-range values, unknown
     *     fields or a missing {@code userId}
     */
    public static RecommendRequest decodeRecommend(final byte[] body, final RecommendRequest out) {
        out.clear();
        try (JsonParser p = FACTORY.createParser(body)) {
            expect(p, p.nextToken(), JsonToken.START_OBJECT, null, "the body must be a JSON object");
            boolean sawUser = false;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                final String field = p.currentName();
                final JsonToken value = p.nextToken();
                switch (field) {
                    case "userId" -> {
                        out.userId(readId(p, value, "userId"));
                        sawUser = true;
                    }
                    case "count" -> {
                        final long count = readLong(p, value, "count");
                        if (count < 1 || count > RecommendRequest.MAX_COUNT) {
                            throw new BadInputException(
                                    "count", "count must be 1.." + RecommendRequest.MAX_COUNT + ", got " + count);
                        }
                        out.count((int) count);
                    }
                    case "explain" -> out.explain(readBoolean(value, "explain"));
                    case "policy" -> out.policy(readString(p, value, "policy"));
                    case "context" -> decodeContext(p, value, out);
                    default -> throw new BadInputException(field, "unknown field '" + field
                            + "'; known fields are userId, count, explain, policy, context");
                }
            }
            expectEnd(p);
            if (!sawUser) {
                throw new BadInputException("userId", "userId is required");
            }
            return out;
        } catch (final JsonProcessingException e) {
            throw malformed(e);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void decodeContext(final JsonParser p, final JsonToken token, final RecommendRequest out)
            throws IOException {
        expect(p, token, JsonToken.START_OBJECT, "context", "context must be an object");
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            final String field = p.currentName();
            final JsonToken value = p.nextToken();
            switch (field) {
                case "category" -> {
                    final long category = readLong(p, value, "context.category");
                    if (category < 0 || category > Integer.MAX_VALUE) {
                        throw new BadInputException("context.category", "context.category must be >= 0, got "
                                + category);
                    }
                    out.category((int) category);
                }
                case "exclude" -> {
                    expect(p, value, JsonToken.START_ARRAY, "context.exclude", "context.exclude must be an array");
                    int i = 0;
                    JsonToken t;
                    while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
                        if (i == RecommendRequest.MAX_EXCLUDE) {
                            throw new BadInputException("context.exclude", "context.exclude holds at most "
                                    + RecommendRequest.MAX_EXCLUDE + " item ids");
                        }
                        out.addExclude(readId(p, t, "context.exclude[" + i + "]"));
                        i++;
                    }
                }
                case "boostCategories", "boostItems" -> decodeBoosts(p, value, "context." + field, out,
                        field.equals("boostCategories"));
                default -> throw new BadInputException("context." + field, "unknown field 'context." + field
                        + "'; known fields are category, exclude, boostCategories, boostItems");
            }
        }
    }

    /** {@code {"<id>": factor, ...}}: positive factors, at most {@link RecommendRequest#MAX_BOOSTS}. */
    private static void decodeBoosts(final JsonParser p, final JsonToken token, final String at,
            final RecommendRequest out, final boolean categories) throws IOException {
        expect(p, token, JsonToken.START_OBJECT, at, at + " must be an object of id to factor");
        int n = 0;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            final String key = p.currentName();
            final String path = at + "." + key;
            final long id;
            try {
                id = Long.parseLong(key);
            } catch (final NumberFormatException e) {
                throw new BadInputException(path, path + ": keys must be integer ids, got '" + key + "'");
            }
            final JsonToken v = p.nextToken();
            if (v != JsonToken.VALUE_NUMBER_INT && v != JsonToken.VALUE_NUMBER_FLOAT) {
                throw new BadInputException(path, path + " must be a number, got " + describe(p, v));
            }
            final double factor = p.getDoubleValue();
            if (!(factor > 0 && factor <= 100) || id < 0 || (categories && id > Integer.MAX_VALUE)) {
                throw new BadInputException(path, path + " must be a factor in (0, 100] for a non-negative id, got "
                        + p.getText());
            }
            if (++n > RecommendRequest.MAX_BOOSTS) {
                throw new BadInputException(at, at + " holds at most " + RecommendRequest.MAX_BOOSTS + " entries");
            }
            if (categories) {
                out.addBoostCategory((int) id, (float) factor);
            } else {
                out.addBoostItem(id, (float) factor);
            }
        }
    }

    /**
     * Decodes a batch of feedback events into {@code out}.
     *
     * <pre>{"events": [{"userId": 42, "itemId": 17, "type": "click", "ts": 1763900000000}]}</pre>
     *
     * {@code ts} (epoch milliseconds) is optional and defaults to {@code nowMs}.
     *
     * @throws BadInputException naming the field, e.g. {@code events[3].type}
     */
    public static EventBatch decodeEvents(final byte[] body, final long nowMs, final EventBatch out) {
        out.clear();
        try (JsonParser p = FACTORY.createParser(body)) {
            expect(p, p.nextToken(), JsonToken.START_OBJECT, null, "the body must be a JSON object");
            boolean sawEvents = false;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                final String field = p.currentName();
                final JsonToken value = p.nextToken();
                if (!"events".equals(field)) {
                    throw new BadInputException(field, "unknown field '" + field + "'; the body is {\"events\": [...]}");
                }
                expect(p, value, JsonToken.START_ARRAY, "events", "events must be an array");
                sawEvents = true;
                int i = 0;
                JsonToken t;
                while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
                    if (i == EventBatch.MAX_EVENTS) {
                        throw new BadInputException(413, "events", "a batch holds at most " + EventBatch.MAX_EVENTS
                                + " events");
                    }
                    decodeEvent(p, t, i, nowMs, out);
                    i++;
                }
            }
            expectEnd(p);
            if (!sawEvents) {
                throw new BadInputException("events", "events is required");
            }
            return out;
        } catch (final JsonProcessingException e) {
            throw malformed(e);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void decodeEvent(final JsonParser p, final JsonToken token, final int index, final long nowMs,
            final EventBatch out) throws IOException {
        final String at = "events[" + index + "]";
        expect(p, token, JsonToken.START_OBJECT, at, at + " must be an object");
        long userId = 0;
        long itemId = 0;
        EventType type = null;
        long ts = nowMs;
        boolean sawUser = false;
        boolean sawItem = false;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            final String field = p.currentName();
            final JsonToken value = p.nextToken();
            final String path = at + "." + field;
            switch (field) {
                case "userId" -> {
                    userId = readId(p, value, path);
                    sawUser = true;
                }
                case "itemId" -> {
                    itemId = readId(p, value, path);
                    sawItem = true;
                }
                case "type" -> {
                    final String name = readString(p, value, path);
                    type = EventType.parse(name);
                    if (type == null) {
                        throw new BadInputException(path, path + " must be one of view, click, like, purchase, got '"
                                + name + "'");
                    }
                }
                case "ts" -> {
                    ts = readLong(p, value, path);
                    if (ts <= 0) {
                        throw new BadInputException(path, path + " must be epoch milliseconds > 0, got " + ts);
                    }
                }
                default -> throw new BadInputException(path, "unknown field '" + path
                        + "'; known fields are userId, itemId, type, ts");
            }
        }
        if (!sawUser) {
            throw new BadInputException(at + ".userId", at + ".userId is required");
        }
        if (!sawItem) {
            throw new BadInputException(at + ".itemId", at + ".itemId is required");
        }
        if (type == null) {
            throw new BadInputException(at + ".type", at + ".type is required");
        }
        out.add(userId, itemId, type, ts);
    }

    /** Writes a recommendation response as JSON to {@code sink}. */
    public static void encodeResponse(final RecommendResponse r, final OutputStream sink) {
        try (JsonGenerator g = FACTORY.createGenerator(sink, JsonEncoding.UTF8)) {
            g.writeStartObject();
            g.writeNumberField("userId", r.userId());
            g.writeArrayFieldStart("items");
            final String[] channels = r.channelNames();
            for (int i = 0; i < r.count(); i++) {
                g.writeStartObject();
                g.writeNumberField("itemId", r.itemId(i));
                g.writeNumberField("score", r.score(i));
                g.writeArrayFieldStart("channels");
                final int mask = r.channelMask(i);
                for (int c = 0; c < channels.length; c++) {
                    if ((mask & (1 << c)) != 0) {
                        g.writeString(channels[c]);
                    }
                }
                g.writeEndArray();
                if (r.exploration(i)) {
                    g.writeBooleanField("exploration", true);
                }
                if (r.explain()) {
                    g.writeObjectFieldStart("explain");
                    g.writeNumberField("preRank", r.preRankScore(i));
                    g.writeNumberField("rank", r.rankScore(i));
                    g.writeEndObject();
                }
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeArrayFieldStart("degraded");
            for (final String stage : r.degraded()) {
                g.writeString(stage);
            }
            g.writeEndArray();
            g.writeBooleanField("coldStart", r.coldStart());
            g.writeStringField("policy", r.policy());
            g.writeStringField("modelVersion", r.modelVersion());
            g.writeNumberField("tookMicros", r.tookMicros());
            if (r.explain()) {
                g.writeObjectFieldStart("stageMicros");
                for (int i = 0; i < r.stageCount(); i++) {
                    g.writeNumberField(r.stageName(i), r.stageMicros(i));
                }
                g.writeEndObject();
            }
            g.writeEndObject();
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Encodes a response into a new byte array (convenience for tests and tools). */
    public static byte[] encodeResponse(final RecommendResponse r) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        encodeResponse(r, out);
        return out.toByteArray();
    }

    /** Encodes {@code {"error": message, "field": field}}; the field is omitted when {@code null}. */
    public static byte[] encodeError(final String message, final String field) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream(96);
        try (JsonGenerator g = FACTORY.createGenerator(out, JsonEncoding.UTF8)) {
            g.writeStartObject();
            g.writeStringField("error", message);
            if (field != null) {
                g.writeStringField("field", field);
            }
            g.writeEndObject();
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static long readId(final JsonParser p, final JsonToken t, final String field) throws IOException {
        final long id;
        if (t == JsonToken.VALUE_STRING) {
            // Ids sometimes travel as strings to survive JavaScript's 53-bit numbers.
            try {
                id = Long.parseLong(p.getText());
            } catch (final NumberFormatException e) {
                throw new BadInputException(field, field + " must be an integer id, got \"" + p.getText() + "\"");
            }
        } else {
            id = readLong(p, t, field);
        }
        if (id < 0) {
            throw new BadInputException(field, field + " must be >= 0, got " + id);
        }
        return id;
    }

    private static long readLong(final JsonParser p, final JsonToken t, final String field) throws IOException {
        if (t != JsonToken.VALUE_NUMBER_INT) {
            throw new BadInputException(field, field + " must be an integer, got " + describe(p, t));
        }
        if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
            throw new BadInputException(field, field + " is out of range: " + p.getText());
        }
        return p.getLongValue();
    }

    private static boolean readBoolean(final JsonToken t, final String field) {
        if (t == JsonToken.VALUE_TRUE) {
            return true;
        }
        if (t == JsonToken.VALUE_FALSE) {
            return false;
        }
        throw new BadInputException(field, field + " must be true or false");
    }

    private static String readString(final JsonParser p, final JsonToken t, final String field) throws IOException {
        if (t != JsonToken.VALUE_STRING) {
            throw new BadInputException(field, field + " must be a string, got " + describe(p, t));
        }
        return p.getText();
    }

    private static void expect(final JsonParser p, final JsonToken actual, final JsonToken expected,
            final String field, final String message) throws IOException {
        if (actual != expected) {
            throw new BadInputException(field, actual == null ? "the body is empty" : message + ", got "
                    + describe(p, actual));
        }
    }

    private static void expectEnd(final JsonParser p) throws IOException {
        final JsonToken trailing = p.nextToken();
        if (trailing != null) {
            throw new BadInputException(null, "unexpected content after the JSON object: " + describe(p, trailing));
        }
    }

    private static String describe(final JsonParser p, final JsonToken t) throws IOException {
        return switch (t) {
            case VALUE_STRING -> "the string \"" + p.getText() + "\"";
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "the number " + p.getText();
            case VALUE_TRUE, VALUE_FALSE -> "the boolean " + p.getText();
            case VALUE_NULL -> "null";
            case START_ARRAY -> "an array";
            case START_OBJECT -> "an object";
            default -> t.toString();
        };
    }

    private static BadInputException malformed(final JsonProcessingException e) {
        final String message = e.getOriginalMessage();
        final var location = e.getLocation();
        if (location == null) {
            return new BadInputException(null, "malformed JSON: " + message);
        }
        return new BadInputException(null, "malformed JSON at line " + location.getLineNr() + ", column "
                + location.getColumnNr() + ": " + message);
    }
}
