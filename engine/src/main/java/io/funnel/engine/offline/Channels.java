package io.funnel.engine.offline;

import io.funnel.engine.config.FunnelConfig;
import io.funnel.engine.rerank.MmrReRanker;
import io.funnel.engine.rerank.ReRanker;
import io.funnel.engine.retrieval.AnnChannel;
import io.funnel.engine.retrieval.Channel;
import io.funnel.engine.retrieval.ItemCfChannel;
import io.funnel.engine.retrieval.PopularChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Creates the configured retrieval channels and re-ranker over a {@link ServingState}. */
public final class Channels {
    private Channels() {}

    /**
     * The enabled channels, in a fixed order (popular, itemcf, ann).
     *
     * @param allowOffload {@code false} forces every channel inline (offline use)
     */
    public static List<Channel> create(final ServingState state, final FunnelConfig config,
            final boolean allowOffload) {
        final List<Channel> out = new ArrayList<>();
        final FunnelConfig.Channels c = config.channels;
        if (c.popular.enabled) {
            out.add(new PopularChannel(state.popularity(), state.attributes(), c.popular.k));
        }
        if (c.itemcf.enabled) {
            out.add(new ItemCfChannel(state.coVisitation(), state.itemCount(), c.itemcf.k, 20, 0.85f));
        }
        if (c.ann.enabled) {
            out.add(new AnnChannel(state.index(), state.attributes(), c.ann.k, allowOffload && c.ann.offload,
                    config.filters.excludeOutOfStock));
        }
        return out;
    }

    /** The configured re-ranker, or {@code null} for plain score order. */
    public static ReRanker reRanker(final FunnelConfig config) {
        return switch (config.reRank.policy.toLowerCase(Locale.ROOT)) {
            case "mmr" -> new MmrReRanker(config.reRank.lambda, config.reRank.categoryPenalty);
            default -> null;
        };
    }
}
