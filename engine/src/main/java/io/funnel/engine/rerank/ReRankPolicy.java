package io.funnel.engine.rerank;

import io.funnel.codecs.RecommendRequest;
import io.funnel.engine.config.FunnelConfig;
import io.funnel.engine.pipeline.CandidateSet;
import io.funnel.engine.pipeline.RankFeatures;
import io.funnel.engine.retrieval.ItemAttributes;
import io.funnel.engine.retrieval.Popularity;
import io.funnel.engine.retrieval.SeenItems;
import io.funnel.features.ItemColumns;
import io.funnel.features.UserRow;
import java.util.Locale;
import java.util.SplittableRandom;
import org.agrona.collections.Int2ObjectHashMap;
import org.agrona.collections.IntHashSet;
import org.agrona.collections.Long2ObjectHashMap;

/**
 * A compiled re-rank policy: the steps of a {@link FunnelConfig.Policy} in their fixed order — blocks and boosts,
 * repetition limit, freshness boost, the selector under the slot constraints, guaranteed cold-start slots,
 * exploration slots. {@link #apply} fills the output positions and flags; each step reports its time to a
 * {@link StepTimer}.
 *
 * <p>Threading: immutable configuration plus per-thread scratch; safe for concurrent use.
 */
public final class ReRankPolicy {
    /** Receives each step's duration (nanoseconds), for metrics. */
    @FunctionalInterface
    public interface StepTimer {
        void record(String step, long nanos);
    }

    /** What a policy produced: positions into the candidate set, or negative {@code -1 - ordinal} for items that
     * came from outside the candidate set (cold-start items from the fresh list), and the exploration flags. */
    public static final class Output {
        int[] slots = new int[64];
        boolean[] explored = new boolean[64];
        int count;

        void ensure(final int n) {
            if (slots.length < n) {
                slots = new int[n * 2];
                explored = new boolean[n * 2];
            }
        }

        public int count() {
            return count;
        }

        /** A position into the candidate set, or {@code -1 - ordinal} for an item from outside it. */
        public int slot(final int i) {
            return slots[i];
        }

        public boolean explored(final int i) {
            return explored[i];
        }
    }

    private final String name;
    private final Selector selector;
    private final FunnelConfig.Policy config;
    private final ItemAttributes attributes;
    private final Popularity popularity;
    private final BanditStats bandit;
    private final LinUcbModel linUcb;
    private final IntHashSet blockedCategories = new IntHashSet();
    private final Int2ObjectHashMap<Double> categoryBoosts = new Int2ObjectHashMap<>();
    private final Long2ObjectHashMap<Double> itemBoosts = new Long2ObjectHashMap<>();
    private final java.util.Set<Long> blockedItems;
    private final ThreadLocal<Scratch> scratch;

    public ReRankPolicy(final String name, final FunnelConfig.Policy config, final ItemAttributes attributes,
            final Popularity popularity, final BanditStats bandit, final LinUcbModel linUcb) {
        this.name = name;
        this.config = config;
        this.attributes = attributes;
        this.popularity = popularity;
        this.bandit = bandit;
        this.linUcb = linUcb;
        this.selector = switch (config.selector.toLowerCase(Locale.ROOT)) {
            case "greedy" -> new GreedySelector();
            case "dpp" -> new DppSelector(config.dppAlpha, config.categoryPenalty);
            default -> new MmrSelector(config.lambda, config.categoryPenalty);
        };
        config.blockCategories.forEach(blockedCategories::add);
        config.boostCategories.forEach(categoryBoosts::put);
        config.boostItems.forEach(itemBoosts::put);
        this.blockedItems = java.util.Set.copyOf(config.blockItems);
        final int categoryCount = popularity.categoryCount();
        this.scratch = ThreadLocal.withInitial(() -> new Scratch(newConstraints(config), categoryCount));
    }

    private static SlotConstraints newConstraints(final FunnelConfig.Policy p) {
        return new SlotConstraints(p.window == null ? 0 : p.window.size, p.window == null ? 0 : p.window.maxPerCategory,
                p.quotas == null ? 0 : p.quotas.maxPerCategory, p.quotas == null ? 0 : p.quotas.maxPerCreator);
    }

    public String name() {
        return name;
    }

    /** The selector's name ({@code greedy}, {@code mmr}, {@code dpp}). */
    public String selectorName() {
        return selector.name();
    }

    /**
     * Runs the policy over ranked candidates.
     *
     * @param set candidates with their final relevance in {@link CandidateSet#score(int)}
     * @param items the candidates' rows, same positions
     * @param request the request's own boosts ({@code context.boostCategories}, {@code context.boostItems}) apply on
     *     top of the policy's
     * @param itemIdOf maps an ordinal to its external id (for item boosts and blocks)
     * @param deadlineNs after this, optional steps (cold start, exploration) are skipped and reported
     * @param degraded receives the name of each skipped step
     */
    public void apply(final CandidateSet set, final ItemColumns items, final UserRow user, final int[] seen,
            final RecommendRequest request, final long nowMs, final int count, final java.util.function.IntToLongFunction itemIdOf,
            final long deadlineNs, final StepTimer timer, final java.util.function.Consumer<String> degraded,
            final SplittableRandom random, final Output out) {
        final int n = set.count();
        final Scratch s = scratch.get().ensure(n);
        out.ensure(count);
        long t = System.nanoTime();

        // 1. Blocks, boosts, repetition limit, freshness: adjust relevance in place.
        RankFeatures.categoryShares(user, attributes.categories(), s.categoryShare);
        s.countRecent(user, config.maxImpressions);
        for (int i = 0; i < n; i++) {
            final int ordinal = set.ordinal(i);
            float r = set.score(i);
            final int category = attributes.category(ordinal);
            if (blockedCategories.contains(category) || (!blockedItems.isEmpty()
                    && blockedItems.contains(itemIdOf.applyAsLong(ordinal)))) {
                r = Float.NEGATIVE_INFINITY;
            } else {
                final Double cb = categoryBoosts.get(category);
                if (cb != null) {
                    r *= cb;
                }
                if (!itemBoosts.isEmpty()) {
                    final Double ib = itemBoosts.get(itemIdOf.applyAsLong(ordinal));
                    if (ib != null) {
                        r *= ib;
                    }
                }
                for (int b = 0; b < request.boostCategoryCount(); b++) {
                    if (request.boostCategory(b) == category) {
                        r *= request.boostCategoryFactor(b);
                    }
                }
                if (request.boostItemCount() > 0) {
                    final long itemId = itemIdOf.applyAsLong(ordinal);
                    for (int b = 0; b < request.boostItemCount(); b++) {
                        if (request.boostItem(b) == itemId) {
                            r *= request.boostItemFactor(b);
                        }
                    }
                }
                if (config.maxImpressions > 0 && s.shown.get(ordinal) >= config.maxImpressions) {
                    r = Float.NEGATIVE_INFINITY;
                }
                if (config.freshness != null) {
                    final double ageDays = Math.max(0, nowMs - items.createdAtMs()[i]) / 86_400_000.0;
                    r *= (float) (1 + config.freshness.boost * Math.pow(2, -ageDays / config.freshness.halfLifeDays));
                }
            }
            s.relevance[i] = r;
        }
        t = lap(timer, "rules", t);

        // 2. The selector, under the window rule and quotas.
        final int placed = selector.select(set, s.relevance, items, attributes, count, s.constraints, out.slots);
        for (int i = 0; i < placed; i++) {
            out.explored[i] = false;
        }
        out.count = placed;
        t = lap(timer, selector.name(), t);

        // 3. Cold-start slots.
        if (config.coldStart != null && config.coldStart.share > 0) {
            if (System.nanoTime() > deadlineNs) {
                degraded.accept("re_rank.cold_start");
            } else {
                coldStart(set, items, seen, nowMs, count, s, out);
                t = lap(timer, "cold_start", t);
            }
        }

        // 4. Exploration slots.
        if (config.exploration != null) {
            if (System.nanoTime() > deadlineNs) {
                degraded.accept("re_rank.exploration");
            } else {
                explore(set, count, nowMs, s, random, out);
                lap(timer, "exploration", t);
            }
        }
    }

    private static long lap(final StepTimer timer, final String step, final long startNs) {
        final long now = System.nanoTime();
        timer.record(step, now - startNs);
        return now;
    }

    private void coldStart(final CandidateSet set, final ItemColumns items, final int[] seen, final long nowMs,
            final int count, final Scratch s, final Output out) {
        final FunnelConfig.ColdStart cs = config.coldStart;
        final int wanted = (int) Math.ceil(cs.share * count);
        final double maxAgeMs = cs.maxAgeDays * 86_400_000.0;
        int have = 0;
        s.placedMark.clear();
        for (int i = 0; i < out.count; i++) {
            final int slot = out.slots[i];
            s.placedMark.add(slot >= 0 ? set.ordinal(slot) : -1 - slot);
            if (slot >= 0 && isCold(items.interactions()[slot], items.createdAtMs()[slot], nowMs, cs, maxAgeMs)) {
                have++;
            }
        }
        // Sources: unplaced cold candidates from the pool (best first), then the newest items overall.
        int replace = out.count - 1;
        for (int pass = 0; pass < 2 && have < wanted; pass++) {
            if (pass == 0) {
                for (int i = 0; i < set.count() && have < wanted; i++) {
                    final int ordinal = set.ordinal(i);
                    if (s.relevance[i] == Float.NEGATIVE_INFINITY || s.placedMark.contains(ordinal)
                            || !isCold(items.interactions()[i], items.createdAtMs()[i], nowMs, cs, maxAgeMs)) {
                        continue;
                    }
                    replace = place(out, count, replace, i, set, items, nowMs, cs, maxAgeMs);
                    s.placedMark.add(ordinal);
                    have++;
                }
            } else {
                final int[] fresh = popularity.snapshot().fresh();
                for (int f = 0; f < fresh.length && have < wanted; f++) {
                    final int ordinal = fresh[f];
                    if (s.placedMark.contains(ordinal) || SeenItems.contains(seen, ordinal)
                            || !attributes.inStock(ordinal) || blockedCategories.contains(attributes.category(ordinal))
                            || popularity.popularity(ordinal, nowMs) > cs.maxInteractions
                            || nowMs - attributes.createdAtMs(ordinal) > maxAgeMs) {
                        continue;
                    }
                    replace = place(out, count, replace, -1 - ordinal, set, items, nowMs, cs, maxAgeMs);
                    s.placedMark.add(ordinal);
                    have++;
                }
            }
        }
    }

    /** Puts {@code slot} into the list: appends while there is room, else replaces the last non-cold item. */
    private static int place(final Output out, final int count, int replace, final int slot, final CandidateSet set,
            final ItemColumns items, final long nowMs, final FunnelConfig.ColdStart cs, final double maxAgeMs) {
        if (out.count < count) {
            out.slots[out.count] = slot;
            out.explored[out.count] = false;
            out.count++;
            return replace;
        }
        while (replace >= 0) {
            final int existing = out.slots[replace];
            final boolean cold = existing < 0
                    || isCold(items.interactions()[existing], items.createdAtMs()[existing], nowMs, cs, maxAgeMs);
            if (!cold) {
                out.slots[replace] = slot;
                return replace - 1;
            }
            replace--;
        }
        return replace;
    }

    private static boolean isCold(final float interactions, final long createdAtMs, final long nowMs,
            final FunnelConfig.ColdStart cs, final double maxAgeMs) {
        return interactions <= cs.maxInteractions && nowMs - createdAtMs <= maxAgeMs;
    }

    private void explore(final CandidateSet set, final int count, final long nowMs, final Scratch s,
            final SplittableRandom random, final Output out) {
        final FunnelConfig.Exploration ex = config.exploration;
        final boolean thompson = "thompson".equalsIgnoreCase(ex.method);
        s.placedMark.clear();
        for (int i = 0; i < out.count; i++) {
            final int slot = out.slots[i];
            s.placedMark.add(slot >= 0 ? set.ordinal(slot) : -1 - slot);
        }
        for (int j = 0; j < ex.slots; j++) {
            int best = -1;
            double bestValue = Double.NEGATIVE_INFINITY;
            // Explore among the ranked pool's unplaced candidates.
            for (int i = 0; i < set.count(); i++) {
                final int ordinal = set.ordinal(i);
                if (s.relevance[i] == Float.NEGATIVE_INFINITY || s.placedMark.contains(ordinal)) {
                    continue;
                }
                final double value;
                if (thompson) {
                    value = bandit.sampleCtr(ordinal, random);
                } else {
                    ExplorationFeatures.fill(s.context, ordinal, nowMs, popularity, attributes, s.categoryShare);
                    value = linUcb.ucb(s.context, (float) ex.alpha);
                }
                if (value > bestValue) {
                    bestValue = value;
                    best = i;
                }
            }
            if (best < 0) {
                return;
            }
            s.placedMark.add(set.ordinal(best));
            // Insert at evenly spaced positions, shifting the rest down and dropping the last when full.
            final int position = Math.min(out.count, (int) ((long) count * (j + 1) / (ex.slots + 1)));
            final int last = Math.min(out.count, count - 1);
            for (int i = last; i > position; i--) {
                out.slots[i] = out.slots[i - 1];
                out.explored[i] = out.explored[i - 1];
            }
            out.slots[position] = best;
            out.explored[position] = true;
            out.count = Math.min(count, out.count + 1);
        }
    }

    /** Per-thread scratch. */
    private static final class Scratch {
        final SlotConstraints constraints;
        final float[] categoryShare;
        final float[] context = new float[ExplorationFeatures.WIDTH];
        final IntHashSet placedMark = new IntHashSet();
        final org.agrona.collections.Int2IntHashMap shown = new org.agrona.collections.Int2IntHashMap(0);
        float[] relevance = new float[0];

        Scratch(final SlotConstraints constraints, final int categoryCount) {
            this.constraints = constraints;
            this.categoryShare = new float[Math.max(1, categoryCount)];
        }

        Scratch ensure(final int n) {
            if (relevance.length < n) {
                relevance = new float[n * 2];
            }
            return this;
        }

        /** Counts how often each item appears in the user's recent history (impressions included). */
        void countRecent(final UserRow user, final int limit) {
            shown.clear();
            if (limit > 0) {
                for (int i = 0; i < user.recentCount(); i++) {
                    shown.put(user.recentItem(i), shown.get(user.recentItem(i)) + 1);
                }
            }
        }
    }
}
