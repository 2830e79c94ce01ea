package io.funnel.engine.pipeline;

/** The stages of the request path, in order, with their config keys and default budgets. */
public enum StageId {
    HYDRATE_USER("hydrateUser", "2ms"),
    RETRIEVE("retrieve", "20ms"),
    MERGE("merge", "3ms"),
    FILTER("filter", "3ms"),
    HYDRATE_ITEMS("hydrateItems", "5ms"),
    PRE_RANK("preRank", "5ms"),
    RANK("rank", "15ms"),
    RE_RANK("reRank", "5ms");

    private static final StageId[] VALUES = values();
    private final String configKey;
    private final String defaultBudget;
    private final String metricName;

    StageId(final String configKey, final String defaultBudget) {
        this.configKey = configKey;
        this.defaultBudget = defaultBudget;
        this.metricName = configKey.replaceAll("([A-Z])", "_$1").toLowerCase(java.util.Locale.ROOT);
    }

    /** Key under {@code budgets:} in the config, e.g. {@code preRank}. */
    public String configKey() {
        return configKey;
    }

    /** Budget used when the config does not set one. */
    public String defaultBudget() {
        return defaultBudget;
    }

    /** Name in metrics and responses, e.g. {@code pre_rank}. */
    public String metricName() {
        return metricName;
    }

    /** All stages (shared array; do not modify). */
    public static StageId[] all() {
        return VALUES;
    }

    /** Stage with the given config key, or {@code null}. */
    public static StageId byConfigKey(final String key) {
        for (final StageId s : VALUES) {
            if (s.configKey.equals(key)) {
                return s;
            }
        }
        return null;
    }
}
