package io.funnel.loadtest.spi;

/**
 * One request of a load test, independent of the wire protocol: a {@link Driver} turns it into an HTTP call, a binary
 * frame, or anything else that reaches Funnel. Instances are immutable and may be shared between threads.
 */
public sealed interface LoadRequest {
    /** The request type's name in reports and assertions ({@code recommend}, {@code event}, {@code ping}). */
    String type();

    /**
     * "What should {@code userId} see now?": {@code POST /v1/recommend} over HTTP.
     *
     * @param userId the user asked about
     * @param count items wanted, 1..500
     * @param category the request context's category filter, or {@link #NO_CATEGORY}
     */
    record Recommend(long userId, int count, int category) implements LoadRequest {
        /** {@link #category()} when the request has no category context. */
        public static final int NO_CATEGORY = -1;

        @Override
        public String type() {
            return "recommend";
        }
    }

    /**
     * One feedback event ({@code POST /v1/events} with a batch of one over HTTP).
     *
     * @param userId the user who acted
     * @param itemId the item acted on
     * @param kind {@code view}, {@code click}, {@code like} or {@code purchase}
     */
    record Event(long userId, long itemId, String kind) implements LoadRequest {
        @Override
        public String type() {
            return "event";
        }
    }

    /** A liveness probe ({@code GET /health/live} over HTTP): the protocol's floor, no engine work. */
    record Ping() implements LoadRequest {
        /** The one instance. */
        public static final Ping INSTANCE = new Ping();

        @Override
        public String type() {
            return "ping";
        }
    }
}
