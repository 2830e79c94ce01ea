package io.funnel.engine.rerank;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.funnel.codecs.RecommendRequest;
import io.funnel.engine.config.FunnelConfig;
import io.funnel.engine.pipeline.CandidateSet;
import io.funnel.engine.pipeline.Candidates;
import io.funnel.engine.retrieval.ItemAttributes;
import io.funnel.engine.retrieval.Popularity;
import io.funnel.features.ItemColumns;
import io.funnel.features.UserRow;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The policy steps over a catalog of 40 items: candidates are items 0..29 (relevance falling with the ordinal),
 * items 30..39 exist only in the catalog. Items 30..34 are brand new and never interacted with.
 */
class ReRankPolicyTest {
    private static final long DAY = 86_400_000L;
    private static final long NOW = 1_000 * DAY;
    private static final int CATALOG = 40;
    private static final int POOL = 30;

    private ItemAttributes attributes;
    private Popularity popularity;
    private CandidateSet set;
    private ItemColumns items;
    private final List<String> degraded = new ArrayList<>();

    private ReRankPolicy policy(final FunnelConfig.Policy p) {
        final int[] category = new int[CATALOG];
        final int[] creator = new int[CATALOG];
        final long[] created = new long[CATALOG];
        final boolean[] stock = new boolean[CATALOG];
        for (int i = 0; i < CATALOG; i++) {
            category[i] = i % 5;
            creator[i] = i % 7;
            created[i] = i >= 30 && i < 35 ? NOW - DAY : NOW - 300 * DAY;
            stock[i] = true;
        }
        attributes = new ItemAttributes(category, stock, creator, created);
        popularity = new Popularity(attributes, 5, 168, 60, 20, NOW);
        for (int i = 0; i < CATALOG; i++) {
            if (i < 30 || i >= 35) {
                for (int e = 0; e < 20; e++) {
                    popularity.record(i, 1f, NOW - DAY);
                }
            }
        }
        popularity.refresh(NOW);
        final Candidates c = new Candidates(POOL);
        for (int i = 0; i < POOL; i++) {
            c.add(i, 1f);
        }
        set = new CandidateSet(1, POOL);
        set.merge(0, c);
        items = new ItemColumns(2, POOL);
        items.reset(POOL);
        for (int i = 0; i < POOL; i++) {
            set.score(i, 1f - i * 0.01f);
            items.category()[i] = category[i];
            items.createdAtMs()[i] = created[i];
            items.interactions()[i] = 20f;
            items.embeddings()[2 * i] = (float) Math.cos(i);
            items.embeddings()[2 * i + 1] = (float) Math.sin(i);
        }
        return new ReRankPolicy("t", p, attributes, popularity, new BanditStats(CATALOG, 1f, 1f),
                new LinUcbModel(ExplorationFeatures.WIDTH));
    }

    private RecommendRequest request = new RecommendRequest();

    private ReRankPolicy.Output run(final ReRankPolicy policy, final UserRow user, final int count) {
        final ReRankPolicy.Output out = new ReRankPolicy.Output();
        policy.apply(set, items, user, new int[0], request, NOW, count, ordinal -> 1000L + ordinal, Long.MAX_VALUE,
                (step, nanos) -> { }, degraded::add, new SplittableRandom(1), out);
        return out;
    }

    private int ordinal(final ReRankPolicy.Output out, final int i) {
        final int slot = out.slot(i);
        return slot >= 0 ? set.ordinal(slot) : -1 - slot;
    }

    @Test
    void blocksAndBoosts() {
        final FunnelConfig.Policy p = new FunnelConfig.Policy();
        p.selector = "greedy";
        p.blockCategories = List.of(0);
        p.boostItems = java.util.Map.of(1029L, 10.0);
        final ReRankPolicy.Output out = run(policy(p), new UserRow(2), 10);
        assertEquals(10, out.count());
        assertEquals(29, ordinal(out, 0), "the boosted item leads");
        for (int i = 0; i < out.count(); i++) {
            assertTrue(attributes.category(ordinal(out, i)) != 0, "blocked category at slot " + i);
        }
    }

    @Test
    void theRequestsOwnBoostsApply() {
        final FunnelConfig.Policy p = new FunnelConfig.Policy();
        p.selector = "greedy";
        final ReRankPolicy policy = policy(p);
        request = new RecommendRequest().addBoostItem(1025L, 10f).addBoostCategory(4, 3f);
        final ReRankPolicy.Output out = run(policy, new UserRow(2), 3);
        assertEquals(25, ordinal(out, 0), "item 1025 boosted tenfold by the request");
        // Category 4 (ordinals 4, 9, 14, ...) tripled: the best of them (4) beats everything but the item boost.
        assertEquals(4, ordinal(out, 1));
        request = new RecommendRequest();
        assertEquals(0, ordinal(run(policy, new UserRow(2), 3), 0), "without boosts, relevance order");
    }

    @Test
    void coldStartItemsGetTheirShare() {
        final FunnelConfig.Policy p = new FunnelConfig.Policy();
        p.selector = "greedy";
        p.coldStart = new FunnelConfig.ColdStart();
        p.coldStart.share = 0.2;
        final ReRankPolicy.Output out = run(policy(p), new UserRow(2), 10);
        assertEquals(10, out.count());
        int cold = 0;
        for (int i = 0; i < out.count(); i++) {
            final int o = ordinal(out, i);
            if (o >= 30 && o < 35) {
                cold++;
            }
        }
        assertEquals(2, cold, "20% of 10 slots go to new, unseen items from outside the pool");
        assertEquals(0, ordinal(out, 0), "the best item keeps its slot");
    }

    @Test
    void explorationTakesItsSlotsAndIsFlagged() {
        final FunnelConfig.Policy p = new FunnelConfig.Policy();
        p.selector = "greedy";
        p.exploration = new FunnelConfig.Exploration();
        p.exploration.slots = 2;
        final ReRankPolicy.Output out = run(policy(p), new UserRow(2), 9);
        assertEquals(9, out.count());
        int explored = 0;
        for (int i = 0; i < out.count(); i++) {
            if (out.explored(i)) {
                explored++;
                assertTrue(ordinal(out, i) >= 9, "an explored item comes from beyond the greedy top 9");
            }
        }
        assertEquals(2, explored);
        assertTrue(out.explored(3) && out.explored(6), "evenly spaced: slots 3 and 6 of 9");
        final int[] ordinals = new int[9];
        for (int i = 0; i < 9; i++) {
            ordinals[i] = ordinal(out, i);
        }
        assertEquals(9, Arrays.stream(ordinals).distinct().count());
    }

    @Test
    void linUcbExplorationWorksToo() {
        final FunnelConfig.Policy p = new FunnelConfig.Policy();
        p.selector = "mmr";
        p.exploration = new FunnelConfig.Exploration();
        p.exploration.method = "linucb";
        final ReRankPolicy.Output out = run(policy(p), new UserRow(2), 10);
        int explored = 0;
        for (int i = 0; i < out.count(); i++) {
            explored += out.explored(i) ? 1 : 0;
        }
        assertEquals(1, explored);
    }

    @Test
    void repetitionLimitHidesItemsShownTooOften() {
        final FunnelConfig.Policy p = new FunnelConfig.Policy();
        p.selector = "greedy";
        p.maxImpressions = 2;
        final ReRankPolicy policy = policy(p);
        final UserRow user = new UserRow(2);
        user.set(null, new int[] {0, 0, 1}, new long[] {NOW, NOW, NOW}, 3, 3f);
        final ReRankPolicy.Output out = run(policy, user, 5);
        for (int i = 0; i < out.count(); i++) {
            assertTrue(ordinal(out, i) != 0, "item 0 was shown twice already");
        }
        assertEquals(1, ordinal(out, 0), "item 1 was shown once: still allowed");
    }

    @Test
    void freshnessLiftsNewItems() {
        final FunnelConfig.Policy p = new FunnelConfig.Policy();
        p.selector = "greedy";
        p.freshness = new FunnelConfig.Freshness();
        p.freshness.boost = 1.0;
        final ReRankPolicy policy = policy(p);
        items.createdAtMs()[20] = NOW; // item 20 is brand new: doubles its relevance
        final ReRankPolicy.Output out = run(policy, new UserRow(2), 3);
        assertEquals(20, ordinal(out, 0));
        assertFalse(degraded.contains("re_rank.cold_start"));
    }

    @Test
    void optionalStepsAreSkippedAndReportedWhenLate() {
        final FunnelConfig.Policy p = new FunnelConfig.Policy();
        p.coldStart = new FunnelConfig.ColdStart();
        p.exploration = new FunnelConfig.Exploration();
        final ReRankPolicy policy = policy(p);
        final ReRankPolicy.Output out = new ReRankPolicy.Output();
        policy.apply(set, items, new UserRow(2), new int[0], new RecommendRequest(), NOW, 10, o -> o, 0L, (s, n) -> { }, degraded::add,
                new SplittableRandom(1), out);
        assertEquals(10, out.count(), "the selector still fills the list");
        assertEquals(List.of("re_rank.cold_start", "re_rank.exploration"), degraded);
    }
}
