package io.funnel.engine.pipeline;

import io.funnel.codecs.RecommendRequest;
import io.funnel.codecs.RecommendResponse;
import io.funnel.features.ItemColumns;
import io.funnel.features.UserRow;

/**
 * Everything one request needs while it moves through the funnel: the decoded request, the user's row, the time
 * budget, each channel's output and the merged candidates, plus scratch arrays reused across requests. Contexts
 * are pooled per event loop; a request owns its context from decode to response.
 *
 * <p>Threading: owned by the request's event loop; an offloaded channel writes only its own
 * {@link #channelOutput(int)} and hands it back through a future.
 */
public final class RequestContext {
    private final RecommendRequest request = new RecommendRequest();
    private final RecommendResponse response = new RecommendResponse();
    private final UserRow user;
    private final float[] userVector;
    private final Candidates[] channelOutputs;
    private final CandidateSet candidates;
    private final ItemColumns items;
    private final long[] stageNanos = new long[StageId.all().length];

    private boolean knownUser;
    private boolean hasUserVector;
    private static final int[] NO_ITEMS = new int[0];
    private int[] seen = NO_ITEMS;
    private long startNs;
    private long deadlineNs;
    private long nowMs;
    private boolean abandoned;

    // Scratch reused by the stages.
    boolean[] keep = new boolean[1024];
    int[] order = new int[1024];
    float[] features = new float[1024 * 8];
    float[] rankOut = new float[1024];
    float[] preRankScores = new float[1024];
    final int[] categoryCounts;

    public RequestContext(final int dimension, final int channelCount, final int categoryCount) {
        user = new UserRow(dimension);
        userVector = new float[dimension];
        channelOutputs = new Candidates[channelCount];
        for (int c = 0; c < channelCount; c++) {
            channelOutputs[c] = new Candidates(256);
        }
        candidates = new CandidateSet(channelCount, 1024);
        items = new ItemColumns(dimension, 512);
        categoryCounts = new int[Math.max(1, categoryCount)];
    }

    /** Prepares the context for a new request that started at {@code startNs} with {@code totalBudgetNs}. */
    public RequestContext begin(final long startNs, final long totalBudgetNs, final long nowMs) {
        this.startNs = startNs;
        this.deadlineNs = startNs + totalBudgetNs;
        this.nowMs = nowMs;
        this.knownUser = false;
        this.hasUserVector = false;
        this.seen = NO_ITEMS;
        this.abandoned = false;
        java.util.Arrays.fill(stageNanos, 0L);
        candidates.clear();
        response.clear();
        return this;
    }

    public RecommendRequest request() {
        return request;
    }

    public RecommendResponse response() {
        return response;
    }

    public UserRow user() {
        return user;
    }

    /** Whether the feature store knew the user (false: cold start). */
    public boolean knownUser() {
        return knownUser;
    }

    public void knownUser(final boolean value) {
        knownUser = value;
    }

    /** The user's query vector for embedding retrieval and scoring; valid when {@link #hasUserVector()}. */
    public float[] userVector() {
        return userVector;
    }

    public boolean hasUserVector() {
        return hasUserVector;
    }

    public void hasUserVector(final boolean value) {
        hasUserVector = value;
    }

    /** Sorted ordinals the user has already interacted with. */
    public int[] seen() {
        return seen;
    }

    public void seen(final int[] value) {
        seen = value;
    }

    public Candidates channelOutput(final int channel) {
        return channelOutputs[channel];
    }

    public CandidateSet candidates() {
        return candidates;
    }

    public ItemColumns items() {
        return items;
    }

    /** When the request started, {@link System#nanoTime()}. */
    public long startNs() {
        return startNs;
    }

    /** When the total budget runs out, {@link System#nanoTime()}. */
    public long deadlineNs() {
        return deadlineNs;
    }

    /** Wall-clock time of the request, epoch milliseconds (read once at the start). */
    public long nowMs() {
        return nowMs;
    }

    /** Time spent in {@code stage}, nanoseconds. */
    public long stageNanos(final StageId stage) {
        return stageNanos[stage.ordinal()];
    }

    public void stageNanos(final StageId stage, final long nanos) {
        stageNanos[stage.ordinal()] = nanos;
    }

    /**
     * Marks the context as still referenced by a late offloaded channel: it must not go back to the pool, since
     * that channel may still write into it.
     */
    public void abandon() {
        abandoned = true;
    }

    public boolean abandoned() {
        return abandoned;
    }

    /** Makes sure the per-candidate scratch holds {@code n} candidates and {@code n * width} features. */
    void ensureScratch(final int n, final int width) {
        if (keep.length < n) {
            keep = new boolean[n * 2];
            order = new int[n * 2];
            rankOut = new float[n * 2];
            preRankScores = new float[n * 2];
        }
        if (features.length < n * width) {
            features = new float[n * width * 2];
        }
    }
}
