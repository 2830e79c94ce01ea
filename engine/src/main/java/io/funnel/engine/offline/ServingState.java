package io.funnel.engine.offline;

import io.funnel.ann.VectorIndex;
import io.funnel.engine.pipeline.Pipeline;
import io.funnel.engine.rerank.BanditStats;
import io.funnel.engine.rerank.LinUcbModel;
import io.funnel.engine.retrieval.CoVisitation;
import io.funnel.engine.retrieval.ItemAttributes;
import io.funnel.engine.retrieval.Popularity;
import io.funnel.engine.retrieval.SeenItems;
import io.funnel.features.FeatureStore;
import io.funnel.model.PreRankHead;
import io.funnel.model.Scorer;

/**
 * Everything the online funnel reads, built from a data set by {@link ServingStateBuilder}: the feature store,
 * popularity counters, the co-visitation table, the embedding index, item attributes for filters, users' seen
 * items and the ranking model.
 *
 * <p>Threading: the structures inside follow their own contracts (one writer — the event applier — and many
 * readers); the ranker reference is swapped atomically.
 */
public final class ServingState {
    private final String source;
    private final FeatureStore store;
    private final Popularity popularity;
    private final CoVisitation coVisitation;
    private final VectorIndex index;
    private final ItemAttributes attributes;
    private final SeenItems seen;
    private final int categoryCount;
    private final int userCount;
    private final int eventCount;
    private final BanditStats bandit;
    private final LinUcbModel linUcb;
    private volatile Scorer ranker;
    private volatile PreRankHead preRankHead = Pipeline.DEFAULT_PRE_RANK;
    private volatile double[] scoreReference;
    private volatile float[][] featureEdges;
    /** Event-log position of the last batch applied to this state; {@link #NO_LOG_POSITION} when built from data. */
    private volatile long logPosition = NO_LOG_POSITION;

    /** {@link #logPosition()} of a state built from a data set alone: none of the event log is applied yet. */
    public static final long NO_LOG_POSITION = -1;

    public ServingState(final String source, final FeatureStore store, final Popularity popularity,
            final CoVisitation coVisitation, final VectorIndex index, final ItemAttributes attributes,
            final SeenItems seen, final Scorer ranker, final int categoryCount, final int userCount,
            final int eventCount, final BanditStats bandit, final LinUcbModel linUcb) {
        this.bandit = bandit;
        this.linUcb = linUcb;
        this.source = source;
        this.store = store;
        this.popularity = popularity;
        this.coVisitation = coVisitation;
        this.index = index;
        this.attributes = attributes;
        this.seen = seen;
        this.ranker = ranker;
        this.categoryCount = categoryCount;
        this.userCount = userCount;
        this.eventCount = eventCount;
    }

    /** Where the data came from. */
    public String source() {
        return source;
    }

    public FeatureStore store() {
        return store;
    }

    public Popularity popularity() {
        return popularity;
    }

    public CoVisitation coVisitation() {
        return coVisitation;
    }

    public VectorIndex index() {
        return index;
    }

    public ItemAttributes attributes() {
        return attributes;
    }

    public SeenItems seen() {
        return seen;
    }

    /** Per-item impressions and successes for Thompson-sampling exploration. */
    public BanditStats bandit() {
        return bandit;
    }

    /** The shared LinUCB exploration model. */
    public LinUcbModel linUcb() {
        return linUcb;
    }

    /** The ranking model currently serving. */
    public Scorer ranker() {
        return ranker;
    }

    /**
     * The distribution of the ranker's predictions over the candidates it was trained on, as shares of
     * {@code FunnelMetrics.SCORE_BINS} equal bins of [0, 1]; {@code null} when the ranker was not trained here.
     */
    public double[] scoreReference() {
        return scoreReference;
    }

    /** Training-time decile edges of the watched rank features ({@link #DRIFT_FEATURES}), or {@code null}. */
    public float[][] featureEdges() {
        return featureEdges;
    }

    public void featureEdges(final float[][] edges) {
        featureEdges = edges;
    }

    /** Rank features whose input distribution is watched for drift. */
    public static final java.util.List<String> DRIFT_FEATURES = java.util.List.of("dot", "log_popularity",
            "category_affinity");

    /** Sets the ranker together with its training-time prediction distribution. */
    public void ranker(final Scorer next, final double[] reference) {
        ranker = next;
        scoreReference = reference == null ? null : reference.clone();
    }

    /**
     * The pre-ranker's head fitted with the start-up ranker, or
     * {@link Pipeline#DEFAULT_PRE_RANK}; a ranker with its own head ({@link Scorer#preRankHead()}) overrides it.
     */
    public PreRankHead preRankHead() {
        return preRankHead;
    }

    /** Swaps the pre-ranker's head ({@code null}: back to the hand-set default); the next request uses it. */
    public void preRankHead(final PreRankHead next) {
        preRankHead = next != null ? next : Pipeline.DEFAULT_PRE_RANK;
    }

    /** Swaps the ranking model; requests already ranking keep the old one. */
    public void ranker(final Scorer next) {
        ranker = next;
    }

    public int categoryCount() {
        return categoryCount;
    }

    public int itemCount() {
        return store.itemCount();
    }

    /** Users known at build time. */
    public int userCount() {
        return userCount;
    }

    /**
     * The event-log position just after the last batch applied to this state, or {@link #NO_LOG_POSITION}. It lives
     * with the state the events update — written by the event applier right after applying a batch, lost with the
     * state — so a replay that starts from it never applies a batch twice to the same state.
     */
    public long logPosition() {
        return logPosition;
    }

    /** Sets {@link #logPosition()}; only the event applier calls it, after applying the batch that ends there. */
    public void logPosition(final long position) {
        logPosition = position;
    }

    /**
     * Identifies the data set this state was built from (its name, items and interactions), to tell whether an event
     * log was written on top of it.
     */
    public String datasetIdentity() {
        return source + ";items=" + store.itemCount() + ";interactions=" + eventCount;
    }

    /** Interactions the state was built from. */
    public int eventCount() {
        return eventCount;
    }
}
