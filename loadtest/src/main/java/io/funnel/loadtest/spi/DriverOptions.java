package io.funnel.loadtest.spi;

/**
 * Connection settings shared by every driver.
 *
 * @param connections connections to keep open (HTTP/1.1: the pool size; multiplexed protocols: the connection count)
 * @param protocol the protocol variant: {@code h1} (HTTP/1.1) or {@code h2c} (HTTP/2 over clear text, prior
 *     knowledge) for HTTP; drivers ignore values that do not apply to them
 * @param ioThreads I/O threads (event loops) of the driver
 * @param requestTimeoutMs a request without an answer after this many milliseconds ends as {@link Outcome#TIMEOUT}
 */
public record DriverOptions(int connections, String protocol, int ioThreads, long requestTimeoutMs) {
    /** Validates every field; the message names the bad one. */
    public DriverOptions {
        if (connections < 1 || connections > 10_000) {
            throw new IllegalArgumentException("connections must be 1..10000, got " + connections);
        }
        if (!"h1".equals(protocol) && !"h2c".equals(protocol)) {
            throw new IllegalArgumentException("protocol must be h1 or h2c, got " + protocol);
        }
        if (ioThreads < 1 || ioThreads > 64) {
            throw new IllegalArgumentException("io threads must be 1..64, got " + ioThreads);
        }
        if (requestTimeoutMs < 1) {
            throw new IllegalArgumentException("request timeout must be positive, got " + requestTimeoutMs + " ms");
        }
    }

    /** 32 HTTP/1.1 connections, one I/O thread, 10 s timeout. */
    public static DriverOptions defaults() {
        return new DriverOptions(32, "h1", 1, 10_000);
    }

    /** A copy with another connection count. */
    public DriverOptions withConnections(final int n) {
        return new DriverOptions(n, protocol, ioThreads, requestTimeoutMs);
    }

    /** A copy with another protocol. */
    public DriverOptions withProtocol(final String p) {
        return new DriverOptions(connections, p, ioThreads, requestTimeoutMs);
    }
}
