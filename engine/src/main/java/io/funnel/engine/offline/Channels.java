package io.funnel.engine.offline;

import io.funnel.engine.config.FunnelConfig;
import io.funnel.engine.retrieval.AnnChannel;
import io.funnel.engine.retrieval.Channel;
import io.funnel.engine.retrieval.ItemCfChannel;
import io.funnel.engine.retrieval.PopularChannel;
import java.util.ArrayList;
import java.util.List;

/** Creates the configured retrieval channels over a {@link ServingState}. */
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

}
