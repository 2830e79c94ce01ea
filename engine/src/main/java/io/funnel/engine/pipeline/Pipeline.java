package io.funnel.engine.pipeline;

import io.funnel.codecs.RecommendRequest;
import io.funnel.codecs.RecommendResponse;
import io.funnel.engine.metrics.FunnelMetrics;
import io.funnel.engine.offline.ServingState;
import io.funnel.engine.retrieval.Channel;
import io.funnel.engine.retrieval.ItemAttributes;
import io.funnel.engine.retrieval.SeenItems;
import io.funnel.engine.rerank.ReRankPolicies;
import io.funnel.engine.rerank.ReRankPolicy;
import io.funnel.features.ItemColumns;
import io.funnel.features.UserRow;
import io.funnel.model.DotProductPreRanker;
import io.funnel.model.PreRankHead;
import io.funnel.model.MicroBatcher;
import io.funnel.model.Scorer;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The request path of DESIGN.md: hydrate user → retrieve (channels in parallel) → merge → filter → hydrate items →
 * pre-rank → rank → re-rank → respond, every stage timed and held to its budget.
 *
 * <p>Each stage gets {@code min(its budget, time left)}. Offloaded channels that miss their budget are dropped and
 * reported as {@code retrieve.<channel>}; when the request is already late, ranking falls back to the pre-rank
 * order ({@code rank}) and diversity re-ranking to plain score order ({@code re_rank}). Inline stages cannot be
 * interrupted: one that overruns is counted as a budget miss.
 *
 * <p>Threading: {@link #execute} runs on the caller's event loop and never blocks it; offloaded channels run on
 * the Vert.x worker pool. {@link #executeSync} runs everything on the calling thread (offline evaluation and
 * training). Instances are safe for concurrent use; per-request state lives in the {@link RequestContext}.
 */
public final class Pipeline {
    private final ServingState state;
    private final Channel[] channels;
    private final String[] channelNames;
    private final ReRankPolicies policies;
    private final Budgets budgets;
    private final FunnelMetrics metrics;
    private final RankFeatures rankFeatures;
    private final int preRankKeep;
    /** The head {@link #preRanker} was made from; both replaced together when the state's head changes. */
    private volatile PreRankerFor preRanker;
    private final boolean excludeSeen;
    private final boolean stockOnly;
    private final Vertx vertx;
    private final MicroBatcher batcher;
    private final ThreadLocal<Scratch> scratch;

    /**
     * @param vertx used to offload channels and time them out; may be {@code null} for {@link #executeSync} only
     * @param policies the re-rank policies; the request names one or gets the default
     */
    public Pipeline(final ServingState state, final List<Channel> channels, final ReRankPolicies policies,
            final Budgets budgets, final FunnelMetrics metrics, final int preRankKeep, final boolean excludeSeen,
            final boolean stockOnly, final Vertx vertx) {
        this(state, channels, policies, budgets, metrics, preRankKeep, excludeSeen, stockOnly, vertx, null);
    }

    /**
     * As above, ranking through {@code batcher} (which scores with the state's ranker model) on the serving path.
     *
     * @param batcher coalesces rank requests into batched model calls; {@code null} scores inline
     */
    public Pipeline(final ServingState state, final List<Channel> channels, final ReRankPolicies policies,
            final Budgets budgets, final FunnelMetrics metrics, final int preRankKeep, final boolean excludeSeen,
            final boolean stockOnly, final Vertx vertx, final MicroBatcher batcher) {
        this.batcher = batcher;
        if (channels.size() > 30) {
            throw new IllegalArgumentException("at most 30 channels, got " + channels.size());
        }
        this.state = state;
        this.channels = channels.toArray(new Channel[0]);
        this.channelNames = channels.stream().map(Channel::name).toArray(String[]::new);
        this.policies = policies;
        this.budgets = budgets;
        this.metrics = metrics;
        this.rankFeatures = new RankFeatures(state.popularity(), List.of(channelNames));
        this.preRanker = new PreRankerFor(DEFAULT_PRE_RANK, preRanker(DEFAULT_PRE_RANK, channelNames,
                state.store().dimension()));
        this.preRankKeep = preRankKeep;
        this.excludeSeen = excludeSeen;
        this.stockOnly = stockOnly;
        this.vertx = vertx;
        this.scratch = ThreadLocal.withInitial(() -> new Scratch(state.categoryCount(), state.store().dimension()));
    }

    /** Names of the channels, in the bit order of response channel masks. */
    public String[] channelNames() {
        return channelNames.clone();
    }

    /** Creates a context sized for this pipeline; contexts are reusable across requests. */
    public RequestContext newContext() {
        return new RequestContext(state.store().dimension(), channels.length, state.categoryCount());
    }

    /** The re-rank policies a request may name. */
    public ReRankPolicies policies() {
        return policies;
    }

    /** The budgets this pipeline reads on every request. */
    public Budgets budgets() {
        return budgets;
    }

    /** The data this pipeline serves. */
    public ServingState state() {
        return state;
    }

    /**
     * Runs the funnel for the request already decoded into {@code ctx} (see {@link RequestContext#begin}).
     *
     * @return completes on the caller's context with {@code ctx.response()}; fails only on unexpected errors
     */
    public Future<RecommendResponse> execute(final RequestContext ctx) {
        hydrateUser(ctx);
        final long retrieveStart = System.nanoTime();
        final long budgetNs = Math.max(0, budgets.stageBudgetNs(StageId.RETRIEVE, retrieveStart, ctx.deadlineNs()));
        final List<Future<Integer>> pending = new ArrayList<>(channels.length);
        final boolean[] done = new boolean[channels.length];
        for (int c = 0; c < channels.length; c++) {
            final Channel channel = channels[c];
            final Candidates out = ctx.channelOutput(c).clear();
            if (!channel.offload() || vertx == null) {
                runChannel(channel, ctx, out);
                done[c] = true;
                continue;
            }
            final int index = c;
            final Future<Integer> f = vertx.<Integer>executeBlocking(() -> {
                runChannel(channel, ctx, out);
                return index;
            }, false).timeout(Math.max(1, budgetNs), TimeUnit.NANOSECONDS);
            // Vert.x timers tick in milliseconds: a channel that answers after its (possibly sub-millisecond)
            // budget is late all the same, and its result is dropped.
            pending.add(f.onSuccess(i -> done[i] = System.nanoTime() - retrieveStart <= budgetNs));
        }
        if (pending.isEmpty()) {
            return afterRetrieveAsync(ctx, done, retrieveStart);
        }
        final Promise<RecommendResponse> promise = Promise.promise();
        Future.join(pending).onComplete(ignored -> {
            try {
                afterRetrieveAsync(ctx, done, retrieveStart).onComplete(promise);
            } catch (final RuntimeException e) {
                promise.fail(e);
            }
        });
        return promise.future();
    }

    /** Runs the whole funnel on the calling thread, every channel inline (offline evaluation and training). */
    public RecommendResponse executeSync(final RequestContext ctx) {
        hydrateUser(ctx);
        final long retrieveStart = System.nanoTime();
        final boolean[] done = new boolean[channels.length];
        for (int c = 0; c < channels.length; c++) {
            runChannel(channels[c], ctx, ctx.channelOutput(c).clear());
            done[c] = true;
        }
        return afterRetrieve(ctx, done, retrieveStart);
    }

    /**
     * Runs the funnel up to and including pre-rank on the calling thread and leaves the candidates, their hydrated
     * rows and their rank features in {@code ctx}; used to build the ranker's training set.
     *
     * @return the number of candidates; their features are in {@link #features(RequestContext)}
     */
    public int candidatesForTraining(final RequestContext ctx) {
        hydrateUser(ctx);
        final boolean[] done = new boolean[channels.length];
        for (int c = 0; c < channels.length; c++) {
            runChannel(channels[c], ctx, ctx.channelOutput(c).clear());
            done[c] = true;
        }
        merge(ctx, done);
        filter(ctx);
        hydrateItems(ctx);
        preRank(ctx);
        hydrateItems(ctx); // the rows again, in the pre-ranked order
        fillFeatures(ctx);
        return ctx.candidates().count();
    }

    /** The rank features filled by the last run on {@code ctx}, {@link RankFeatures#WIDTH} per candidate. */
    public static float[] features(final RequestContext ctx) {
        return ctx.features;
    }

    private void runChannel(final Channel channel, final RequestContext ctx, final Candidates out) {
        final long start = System.nanoTime();
        channel.retrieve(ctx, out);
        metrics.recordChannel(channel.name(), System.nanoTime() - start, out.count());
    }

    /** Everything after retrieval, on the calling thread: the inline path and offline evaluation. */
    private RecommendResponse afterRetrieve(final RequestContext ctx, final boolean[] done, final long start) {
        if (toRank(ctx, done, start)) {
            rank(ctx);
        }
        return respond(ctx);
    }

    /**
     * Everything after retrieval on the serving path: with a micro-batcher the rank stage is asynchronous and the
     * answer completes on the caller's context once the batch is scored (or rejected: then pre-rank order).
     */
    private Future<RecommendResponse> afterRetrieveAsync(final RequestContext ctx, final boolean[] done,
            final long start) {
        if (batcher == null) {
            return Future.succeededFuture(afterRetrieve(ctx, done, start));
        }
        if (!toRank(ctx, done, start)) {
            return Future.succeededFuture(respond(ctx));
        }
        final long rankStart = System.nanoTime();
        final int n = ctx.candidates().count();
        if (n == 0) {
            return Future.succeededFuture(respond(ctx));
        }
        fillFeatures(ctx);
        final int heads = state.ranker().headCount();
        if (ctx.rankOut.length < n * heads) {
            ctx.rankOut = new float[n * heads * 2];
        }
        final long deadline = rankStart + budgets.stageBudgetNs(StageId.RANK, rankStart, ctx.deadlineNs());
        return batcher.submit(ctx.features, n, deadline, ctx.rankOut).map(scores -> {
            applyScores(ctx, scores, n, heads);
            endStage(ctx, StageId.RANK, rankStart);
            return respond(ctx);
        }).recover(failure -> {
            // Queue full, deadline missed or the model failed: answer in pre-rank order, flagged.
            endStage(ctx, StageId.RANK, rankStart);
            degrade(ctx, StageId.RANK.metricName());
            return Future.succeededFuture(respond(ctx));
        });
    }

    /** Merge, filter, hydrate and pre-rank; returns whether there is time left to rank. */
    private boolean toRank(final RequestContext ctx, final boolean[] done, final long start) {
        for (int c = 0; c < channels.length; c++) {
            if (!done[c]) {
                ctx.abandon(); // the late channel may still write into this context
                degrade(ctx, "retrieve." + channelNames[c]);
            }
        }
        endStage(ctx, StageId.RETRIEVE, start);
        merge(ctx, done);
        filter(ctx);
        hydrateItems(ctx);
        preRank(ctx);
        if (System.nanoTime() >= ctx.deadlineNs()) {
            degrade(ctx, StageId.RANK.metricName());
            return false;
        }
        hydrateItems(ctx); // rows in pre-ranked order for the model
        return true;
    }

    /** Re-rank and fill the response. */
    private RecommendResponse respond(final RequestContext ctx) {
        final RecommendResponse response = ctx.response();
        final ReRankPolicy policy = policies.get(ctx.request().policy());
        if (System.nanoTime() >= ctx.deadlineNs()) {
            degrade(ctx, StageId.RE_RANK.metricName());
            respondInScoreOrder(ctx);
        } else {
            reRank(ctx, policy);
        }
        response.userId(ctx.request().userId())
                .coldStart(!ctx.knownUser())
                .explain(ctx.request().explain())
                .channelNames(channelNames)
                .modelVersion(state.ranker().version())
                .policy(policy.name());
        if (ctx.request().explain()) {
            for (final StageId s : StageId.all()) {
                response.addStageTime(s.metricName(), ctx.stageNanos(s) / 1_000);
            }
        }
        return response;
    }

    private void degrade(final RequestContext ctx, final String what) {
        ctx.response().addDegraded(what);
        metrics.countDegraded(what);
    }

    private void endStage(final RequestContext ctx, final StageId stage, final long startNs) {
        final long nanos = System.nanoTime() - startNs;
        ctx.stageNanos(stage, ctx.stageNanos(stage) + nanos);
        metrics.recordStage(stage, nanos, nanos > budgets.micros(stage) * 1_000L);
    }

    /** Stage 1: the user's row, seen items and query vector. */
    void hydrateUser(final RequestContext ctx) {
        final long start = System.nanoTime();
        final long userId = ctx.request().userId();
        final UserRow user = ctx.user();
        final boolean known = state.store().readUser(userId, user);
        ctx.knownUser(known && (user.recentCount() > 0 || user.hasEmbedding()));
        ctx.seen(excludeSeen ? state.seen().get(userId) : ctx.seen());
        // Query vector: the stored embedding plus the mean of the latest items, so that fresh events move it.
        final float[] q = ctx.userVector();
        java.util.Arrays.fill(q, 0f);
        boolean has = false;
        if (user.hasEmbedding()) {
            System.arraycopy(user.embedding(), 0, q, 0, q.length);
            has = true;
        }
        final int recent = Math.min(8, user.recentCount());
        if (recent > 0) {
            final Scratch s = scratch.get();
            for (int i = 0; i < recent; i++) {
                s.recentOrdinals[i] = user.recentItem(i);
            }
            final ItemColumns rows = s.recentRows;
            state.store().readItems(s.recentOrdinals, recent, rows);
            final float weight = (has ? 0.5f : 1f) / recent;
            final float[] emb = rows.embeddings();
            for (int i = 0; i < recent; i++) {
                for (int d = 0; d < q.length; d++) {
                    q[d] += weight * emb[i * q.length + d];
                }
            }
            has = true;
        }
        ctx.hasUserVector(has);
        endStage(ctx, StageId.HYDRATE_USER, start);
    }

    /** Stage 3: de-duplicate the channels' outputs into the candidate set. */
    void merge(final RequestContext ctx, final boolean[] done) {
        final long start = System.nanoTime();
        final CandidateSet set = ctx.candidates();
        set.clear();
        for (int c = 0; c < channels.length; c++) {
            if (done[c]) {
                set.merge(c, ctx.channelOutput(c));
            }
        }
        endStage(ctx, StageId.MERGE, start);
    }

    /** Stage 4: drop seen, excluded, out-of-stock and off-category items. */
    void filter(final RequestContext ctx) {
        final long start = System.nanoTime();
        final CandidateSet set = ctx.candidates();
        final int n = set.count();
        ctx.ensureScratch(n, RankFeatures.WIDTH);
        final RecommendRequest request = ctx.request();
        final ItemAttributes attributes = state.attributes();
        final int wanted = request.category();
        final int[] seen = ctx.seen();
        final boolean[] keep = ctx.keep;
        for (int i = 0; i < n; i++) {
            final int ordinal = set.ordinal(i);
            boolean ok = !stockOnly || attributes.inStock(ordinal);
            ok &= wanted < 0 || attributes.category(ordinal) == wanted;
            ok &= !SeenItems.contains(seen, ordinal);
            keep[i] = ok;
        }
        for (int e = 0; e < request.excludeCount(); e++) {
            final int ordinal = state.store().ordinalOf(request.exclude(e));
            if (ordinal >= 0) {
                for (int i = 0; i < n; i++) {
                    if (set.ordinal(i) == ordinal) {
                        keep[i] = false;
                    }
                }
            }
        }
        set.retain(keep);
        endStage(ctx, StageId.FILTER, start);
    }

    /** Stage 5: one batched read of every candidate's row. */
    void hydrateItems(final RequestContext ctx) {
        final long start = System.nanoTime();
        final CandidateSet set = ctx.candidates();
        state.store().readItems(set.ordinals(), set.count(), ctx.items());
        endStage(ctx, StageId.HYDRATE_ITEMS, start);
    }

    /**
     * The hand-set pre-rank head used until one is trained: every channel's normalised score (weight 1 each), the
     * user's share of recent items in the candidate's category (0.5) and the user-item dot product (0.5).
     */
    public static final PreRankHead DEFAULT_PRE_RANK = new PreRankHead(
            List.of("dot", "popular", "itemcf", "ann", "category_affinity"), List.of(0.5f, 1f, 1f, 1f, 0.5f), 0f);

    /**
     * The features a pre-rank head may use, all computed before ranking: {@code dot}, one normalised score per
     * retrieval channel (named as the channel) and {@code category_affinity}.
     */
    public static final List<String> PRE_RANK_FEATURES = List.of("dot", "popular", "itemcf", "ann",
            "category_affinity");

    private record PreRankerFor(PreRankHead head, DotProductPreRanker model) {}

    /**
     * {@code head} as the SIMD linear model over this pipeline's pre-rank row: the channels' scores in
     * {@code channelNames} order, then the category share; {@code dot} becomes the dot-product weight. A channel the
     * head does not name weighs 0.
     */
    static DotProductPreRanker preRanker(final PreRankHead head, final String[] channelNames, final int dimension) {
        final float[] weights = new float[channelNames.length + 1];
        for (int c = 0; c < channelNames.length; c++) {
            weights[c] = head.weight(channelNames[c]);
        }
        weights[channelNames.length] = head.weight("category_affinity");
        return new DotProductPreRanker(dimension, weights, head.bias(), head.weight("dot"));
    }

    /** The pre-ranker of the model serving now (its own head if it has one, else the state's). */
    private DotProductPreRanker currentPreRanker() {
        final PreRankHead own = state.ranker().preRankHead();
        final PreRankHead head = own != null ? own : state.preRankHead();
        PreRankerFor current = preRanker;
        if (current.head() != head) {
            current = new PreRankerFor(head, preRanker(head, channelNames, state.store().dimension()));
            preRanker = current;
        }
        return current.model();
    }

    /**
     * Stage 6: the light linear model of {@link #preRanker} over the hydrated candidates; keeps the best
     * {@code preRankKeep}.
     */
    void preRank(final RequestContext ctx) {
        final long start = System.nanoTime();
        final CandidateSet set = ctx.candidates();
        final int n = set.count();
        final Scratch s = scratch.get().ensure(n);
        RankFeatures.categoryShares(ctx.user(), state.attributes().categories(), s.categoryShare);
        final ItemColumns items = ctx.items();
        final int[] category = items.category();
        final int width = channels.length + 1;
        final float[] x = s.preRankFeatures(n * width);
        for (int i = 0; i < n; i++) {
            final int row = i * width;
            for (int c = 0; c < channels.length; c++) {
                x[row + c] = set.channelScore(i, c);
            }
            final int cat = category[i];
            x[row + channels.length] = cat >= 0 && cat < s.categoryShare.length ? s.categoryShare[cat] : 0f;
        }
        currentPreRanker().score(ctx.hasUserVector() ? ctx.userVector() : s.zeroVector, items.embeddings(), x, n,
                s.scores);
        for (int i = 0; i < n; i++) {
            set.score(i, s.scores[i]);
        }
        final int kept = TopN.select(s.scores, n, preRankKeep, ctx.order, s.packed);
        set.reorder(ctx.order, kept);
        for (int i = 0; i < kept; i++) {
            ctx.preRankScores[i] = set.score(i);
        }
        endStage(ctx, StageId.PRE_RANK, start);
    }

    private void fillFeatures(final RequestContext ctx) {
        final CandidateSet set = ctx.candidates();
        ctx.ensureScratch(set.count(), RankFeatures.WIDTH);
        final Scratch s = scratch.get();
        RankFeatures.categoryShares(ctx.user(), state.attributes().categories(), s.categoryShare);
        rankFeatures.fill(ctx, set, ctx.items(), s.categoryShare, ctx.features);
    }

    /** Stage 7: the ranking model over every surviving candidate, in one call on this thread. */
    void rank(final RequestContext ctx) {
        final long start = System.nanoTime();
        final CandidateSet set = ctx.candidates();
        final int n = set.count();
        if (n > 0) {
            fillFeatures(ctx);
            final Scorer ranker = state.ranker();
            final int heads = ranker.headCount();
            if (ctx.rankOut.length < n * heads) {
                ctx.rankOut = new float[n * heads * 2];
            }
            ranker.score(ctx.features, n, ctx.rankOut);
            applyScores(ctx, ctx.rankOut, n, heads);
        }
        endStage(ctx, StageId.RANK, start);
    }

    /** The first head (p(click)) becomes each candidate's score. */
    private void applyScores(final RequestContext ctx, final float[] scores, final int n, final int heads) {
        final CandidateSet set = ctx.candidates();
        for (int i = 0; i < n; i++) {
            set.score(i, scores[i * heads]);
        }
        metrics.recordScores(scores, n, heads);
        metrics.recordFeatures(ctx.features, n, RankFeatures.WIDTH);
    }

    /** Stage 8: the request's re-rank policy (diversity, exposure, freshness, exploration) into the response. */
    void reRank(final RequestContext ctx, final ReRankPolicy policy) {
        final long start = System.nanoTime();
        final CandidateSet set = ctx.candidates();
        final int count = ctx.request().count();
        final Scratch s = scratch.get();
        final long deadline = start + budgets.stageBudgetNs(StageId.RE_RANK, start, ctx.deadlineNs());
        policy.apply(set, ctx.items(), ctx.user(), ctx.seen(), ctx.request(), ctx.nowMs(), count, state.store()::itemIdAt,
                deadline, metrics::recordStep, what -> degrade(ctx, what), s.random, s.policyOut);
        final ReRankPolicy.Output out = s.policyOut;
        for (int i = 0; i < out.count(); i++) {
            final int slot = out.slot(i);
            if (slot >= 0) {
                addItem(ctx, slot, out.explored(i));
            } else {
                // A cold-start item from outside the ranked pool: no channel, no model score.
                ctx.response().addItem(state.store().itemIdAt(-1 - slot), 0f, 0, 0f, 0f, false);
            }
        }
        endStage(ctx, StageId.RE_RANK, start);
    }

    private void respondInScoreOrder(final RequestContext ctx) {
        final CandidateSet set = ctx.candidates();
        final int n = set.count();
        final Scratch s = scratch.get().ensure(n);
        for (int i = 0; i < n; i++) {
            s.scores[i] = set.score(i);
        }
        final int k = TopN.select(s.scores, n, ctx.request().count(), s.picked, s.packed);
        for (int i = 0; i < k; i++) {
            addItem(ctx, s.picked[i], false);
        }
    }

    private void addItem(final RequestContext ctx, final int position, final boolean explored) {
        final CandidateSet set = ctx.candidates();
        final int ordinal = set.ordinal(position);
        final float preRank = ctx.preRankScores[position];
        ctx.response().addItem(state.store().itemIdAt(ordinal), set.score(position), set.mask(position), preRank,
                set.score(position), explored);
    }

    /** Per-thread scratch of the stages. */
    private static final class Scratch {
        final int[] recentOrdinals = new int[UserRow.MAX_RECENT];
        final ItemColumns recentRows;
        final float[] categoryShare;
        float[] scores = new float[1024];
        long[] packed = new long[1024];
        int[] picked = new int[1024];
        final ReRankPolicy.Output policyOut = new ReRankPolicy.Output();
        // Exploration draws; seeded per thread so offline evaluation is reproducible.
        final java.util.SplittableRandom random = new java.util.SplittableRandom(0x5eed);

        final float[] zeroVector;
        private float[] preRankFeatures = new float[4096];

        Scratch(final int categoryCount, final int dimension) {
            categoryShare = new float[Math.max(1, categoryCount)];
            recentRows = new ItemColumns(dimension, UserRow.MAX_RECENT);
            zeroVector = new float[dimension];
        }

        float[] preRankFeatures(final int size) {
            if (preRankFeatures.length < size) {
                preRankFeatures = new float[size * 2];
            }
            return preRankFeatures;
        }

        Scratch ensure(final int n) {
            if (scores.length < n) {
                scores = new float[n * 2];
                packed = new long[n * 2];
                picked = new int[n * 2];
            }
            return this;
        }
    }
}
