package io.funnel.codecs;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The answer to one recommendation request, filled by the engine and written by {@link JsonCodec}. Items are held
 * in parallel primitive arrays; each item's retrieval channels are a bit mask over {@link #channelNames()}.
 * Mutable and reusable; owned by one thread at a time.
 */
public final class RecommendResponse {
    private long userId;
    private int count;
    private long[] itemIds = new long[16];
    private float[] scores = new float[16];
    private int[] channelMasks = new int[16];
    private boolean[] exploration = new boolean[16];
    private float[] preRankScores = new float[16];
    private float[] rankScores = new float[16];
    private final List<String> degraded = new ArrayList<>(4);
    private String[] channelNames = new String[0];
    private boolean coldStart;
    private boolean explain;
    private long tookMicros;
    private String modelVersion = "";
    private String policy = "";
    private final List<String> stageNames = new ArrayList<>();
    private long[] stageMicros = new long[16];

    /** Resets for a new answer. */
    public RecommendResponse clear() {
        userId = 0;
        count = 0;
        degraded.clear();
        coldStart = false;
        explain = false;
        tookMicros = 0;
        modelVersion = "";
        policy = "";
        stageNames.clear();
        return this;
    }

    /** Makes room for {@code n} items. */
    public void ensureCapacity(final int n) {
        if (itemIds.length < n) {
            itemIds = Arrays.copyOf(itemIds, n);
            scores = Arrays.copyOf(scores, n);
            channelMasks = Arrays.copyOf(channelMasks, n);
            exploration = Arrays.copyOf(exploration, n);
            preRankScores = Arrays.copyOf(preRankScores, n);
            rankScores = Arrays.copyOf(rankScores, n);
        }
    }

    /** Appends an item with its final score, channel mask, and the pre-rank and rank scores for explain. */
    public void addItem(final long itemId, final float score, final int channelMask, final float preRank,
            final float rank, final boolean explored) {
        ensureCapacity(count + 1);
        itemIds[count] = itemId;
        scores[count] = score;
        channelMasks[count] = channelMask;
        preRankScores[count] = preRank;
        rankScores[count] = rank;
        exploration[count] = explored;
        count++;
    }

    /** Records one stage's elapsed time for explain. */
    public void addStageTime(final String stage, final long micros) {
        if (stageNames.size() == stageMicros.length) {
            stageMicros = Arrays.copyOf(stageMicros, stageMicros.length * 2);
        }
        stageMicros[stageNames.size()] = micros;
        stageNames.add(stage);
    }

    /** Marks a stage (or {@code retrieve.<channel>}) as degraded in this answer. */
    public void addDegraded(final String stage) {
        if (!degraded.contains(stage)) {
            degraded.add(stage);
        }
    }

    public long userId() {
        return userId;
    }

    public RecommendResponse userId(final long value) {
        userId = value;
        return this;
    }

    public int count() {
        return count;
    }

    public long itemId(final int i) {
        return itemIds[i];
    }

    public float score(final int i) {
        return scores[i];
    }

    public int channelMask(final int i) {
        return channelMasks[i];
    }

    public boolean exploration(final int i) {
        return exploration[i];
    }

    public float preRankScore(final int i) {
        return preRankScores[i];
    }

    public float rankScore(final int i) {
        return rankScores[i];
    }

    /** Stages that ran out of budget or failed and fell back; empty when the answer is complete. */
    public List<String> degraded() {
        return degraded;
    }

    /** Names of the retrieval channels, indexed by bit position in {@link #channelMask(int)}. */
    public String[] channelNames() {
        return channelNames;
    }

    public RecommendResponse channelNames(final String[] value) {
        channelNames = value;
        return this;
    }

    public boolean coldStart() {
        return coldStart;
    }

    public RecommendResponse coldStart(final boolean value) {
        coldStart = value;
        return this;
    }

    public boolean explain() {
        return explain;
    }

    public RecommendResponse explain(final boolean value) {
        explain = value;
        return this;
    }

    /** Server-side time from decode to encode, microseconds. */
    public long tookMicros() {
        return tookMicros;
    }

    public RecommendResponse tookMicros(final long value) {
        tookMicros = value;
        return this;
    }

    public String modelVersion() {
        return modelVersion;
    }

    public RecommendResponse modelVersion(final String value) {
        modelVersion = value;
        return this;
    }

    /** Name of the re-rank policy that produced the order. */
    public String policy() {
        return policy;
    }

    public RecommendResponse policy(final String value) {
        policy = value;
        return this;
    }

    public int stageCount() {
        return stageNames.size();
    }

    public String stageName(final int i) {
        return stageNames.get(i);
    }

    public long stageMicros(final int i) {
        return stageMicros[i];
    }
}
