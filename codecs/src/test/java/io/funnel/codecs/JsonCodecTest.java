package io.funnel.codecs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class JsonCodecTest {
    private static byte[] b(final String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void decodesAFullRecommendRequest() {
        final RecommendRequest r = JsonCodec.decodeRecommend(b("{\"userId\": \"42\", \"count\": 7, \"explain\": true,"
                + " \"policy\": \"diverse\", \"context\": {\"category\": 3, \"exclude\": [5, 6]}}"), new RecommendRequest());
        assertEquals(42, r.userId());
        assertEquals(7, r.count());
        assertTrue(r.explain());
        assertEquals("diverse", r.policy());
        assertEquals(3, r.category());
        assertEquals(2, r.excludeCount());
        assertEquals(6, r.exclude(1));
    }

    @Test
    void decodesPerRequestBoosts() {
        final RecommendRequest r = JsonCodec.decodeRecommend(b("{\"userId\": 1, \"context\": {\"boostCategories\":"
                + " {\"3\": 1.5, \"7\": 2}, \"boostItems\": {\"100042\": 0.5}}}"), new RecommendRequest());
        assertEquals(2, r.boostCategoryCount());
        assertEquals(7, r.boostCategory(1));
        assertEquals(2f, r.boostCategoryFactor(1));
        assertEquals(100042L, r.boostItem(0));
        assertEquals(0.5f, r.boostItemFactor(0));
        assertField("context.boostItems.x", "{\"userId\": 1, \"context\": {\"boostItems\": {\"x\": 2}}}",
                "keys must be integer ids");
        assertField("context.boostCategories.3", "{\"userId\": 1, \"context\": {\"boostCategories\": {\"3\": 0}}}",
                "factor in (0, 100]");
    }

    @Test
    void reusedRequestIsReset() {
        final RecommendRequest r = new RecommendRequest();
        JsonCodec.decodeRecommend(b("{\"userId\": 1, \"count\": 3, \"context\": {\"exclude\": [9]}}"), r);
        JsonCodec.decodeRecommend(b("{\"userId\": 2}"), r);
        assertEquals(10, r.count(), "default count");
        assertEquals(0, r.excludeCount());
        assertEquals(RecommendRequest.ANY_CATEGORY, r.category());
        assertFalse(r.explain());
    }

    @Test
    void errorsNameTheField() {
        assertField("count", "{\"userId\": 1, \"count\": 0}", "count must be 1..500, got 0");
        assertField("count", "{\"userId\": 1, \"count\": 2.5}", "must be an integer, got the number 2.5");
        assertField("userId", "{\"userId\": -4}", "userId must be >= 0, got -4");
        assertField("userId", "{\"userId\": \"abc\"}", "integer id");
        assertField("context.exclude[1]", "{\"userId\": 1, \"context\": {\"exclude\": [1, true]}}", "integer");
        assertField("context.size", "{\"userId\": 1, \"context\": {\"size\": 1}}", "unknown field 'context.size'");
        assertField("explain", "{\"userId\": 1, \"explain\": \"yes\"}", "true or false");
        final BadInputException e = assertThrows(BadInputException.class,
                () -> JsonCodec.decodeRecommend(b("{\"userId\": 1} {}"), new RecommendRequest()));
        assertTrue(e.getMessage().contains("after the JSON object"), e.getMessage());
        final BadInputException malformed = assertThrows(BadInputException.class,
                () -> JsonCodec.decodeRecommend(b("{\"userId\" 1}"), new RecommendRequest()));
        assertTrue(malformed.getMessage().startsWith("malformed JSON at line 1, column"), malformed.getMessage());
    }

    private static void assertField(final String field, final String json, final String text) {
        final BadInputException e = assertThrows(BadInputException.class,
                () -> JsonCodec.decodeRecommend(b(json), new RecommendRequest()));
        assertEquals(field, e.field());
        assertEquals(400, e.status());
        assertTrue(e.getMessage().contains(text), "'" + e.getMessage() + "' should contain '" + text + "'");
    }

    @Test
    void decodesEventsWithDefaultTimestamp() {
        final EventBatch batch = JsonCodec.decodeEvents(b("{\"events\": [{\"userId\": 1, \"itemId\": 2, \"type\":"
                + " \"like\", \"ts\": 1700000000000}, {\"userId\": 3, \"itemId\": 4, \"type\": \"view\"}]}"), 99L,
                new EventBatch(1));
        assertEquals(2, batch.count());
        assertEquals(EventType.LIKE, batch.type(0));
        assertEquals(1_700_000_000_000L, batch.tsMs(0));
        assertEquals(99L, batch.tsMs(1));
        assertEquals(4, batch.itemId(1));
    }

    @Test
    void eventErrorsNameTheEvent() {
        final BadInputException e = assertThrows(BadInputException.class, () -> JsonCodec.decodeEvents(
                b("{\"events\": [{\"userId\": 1, \"itemId\": 2, \"type\": \"click\"}, {\"userId\": 1, \"itemId\": 2,"
                        + " \"type\": \"poke\"}]}"), 0, new EventBatch()));
        assertEquals("events[1].type", e.field());
        assertTrue(e.getMessage().contains("got 'poke'"));
        final BadInputException missing = assertThrows(BadInputException.class, () -> JsonCodec.decodeEvents(
                b("{\"events\": [{\"userId\": 1, \"type\": \"click\"}]}"), 0, new EventBatch()));
        assertEquals("events[0].itemId", missing.field());
    }

    @Test
    void encodesResponseWithChannelsAndExplain() {
        final RecommendResponse r = new RecommendResponse().userId(7).channelNames(new String[] {"popular", "ann"})
                .explain(true).modelVersion("m1").policy("mmr");
        r.addItem(11, 0.5f, 0b11, 1.25f, 0.5f, false);
        r.addDegraded("retrieve.ann");
        r.addStageTime("rank", 12);
        final String json = new String(JsonCodec.encodeResponse(r), StandardCharsets.UTF_8);
        assertTrue(json.contains("\"channels\":[\"popular\",\"ann\"]"), json);
        assertTrue(json.contains("\"explain\":{\"preRank\":1.25,\"rank\":0.5}"), json);
        assertTrue(json.contains("\"degraded\":[\"retrieve.ann\"]"), json);
        assertTrue(json.contains("\"stageMicros\":{\"rank\":12}"), json);
    }

    @Test
    void encodesErrors() {
        assertEquals("{\"error\":\"bad \\\"x\\\"\",\"field\":\"count\"}",
                new String(JsonCodec.encodeError("bad \"x\"", "count"), StandardCharsets.UTF_8));
    }
}
