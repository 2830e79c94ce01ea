package io.funnel.engine.rerank;

import io.funnel.engine.config.FunnelConfig;
import io.funnel.engine.offline.ServingState;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The named re-rank policies of a deployment and the default one. A request may name a policy; an unknown name is
 * the caller's error (the HTTP layer answers 400 with the known names).
 *
 * <p>Threading: immutable; safe for concurrent use.
 */
public final class ReRankPolicies {
    private final Map<String, ReRankPolicy> byName;
    private final ReRankPolicy defaultPolicy;

    /** Compiles every policy of {@code config} over {@code state}. */
    public ReRankPolicies(final FunnelConfig config, final ServingState state) {
        final Map<String, ReRankPolicy> compiled = new LinkedHashMap<>();
        config.reRank.policies.forEach((name, policy) -> compiled.put(name, new ReRankPolicy(name, policy,
                state.attributes(), state.popularity(), state.bandit(), state.linUcb())));
        this.byName = Map.copyOf(compiled);
        this.defaultPolicy = compiled.get(config.reRank.defaultPolicy);
    }

    /** The policy named {@code name}, the default for {@code null}, or {@code null} if there is no such policy. */
    public ReRankPolicy get(final String name) {
        return name == null ? defaultPolicy : byName.get(name);
    }

    /** The default policy. */
    public ReRankPolicy defaultPolicy() {
        return defaultPolicy;
    }

    /** Every policy name. */
    public Set<String> names() {
        return byName.keySet();
    }
}
