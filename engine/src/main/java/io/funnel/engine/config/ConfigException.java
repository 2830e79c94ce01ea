package io.funnel.engine.config;

import io.funnel.engine.FunnelException;

/** A configuration error found at start-up (or on an admin change): names the source, the key and the reason. */
public final class ConfigException extends FunnelException {
    private static final long serialVersionUID = 1L;
    private final String key;

    public ConfigException(final String source, final String key, final String reason) {
        super(source + (key != null && !key.isEmpty() ? ": " + key : "") + ": " + reason);
        this.key = key;
    }

    /** The offending key as a dotted path, or {@code null}. */
    public String key() {
        return key;
    }
}
