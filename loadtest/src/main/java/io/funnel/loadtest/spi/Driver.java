package io.funnel.loadtest.spi;

import java.util.function.Consumer;

/**
 * Sends {@link LoadRequest}s to a server over one protocol. The harness owns scheduling and recording; a driver only
 * moves requests and classifies answers, so the same simulation runs over HTTP/1.1, h2c or a binary protocol.
 *
 * <p>Threading: a driver has one or more I/O threads. {@link #execute} may be called from any thread and runs the
 * task on one of them (round-robin); {@link #send} must be called on an I/O thread (inside a task given to
 * {@code execute}, or inside a completion), and calls {@code completion} exactly once, on that same thread, with
 * the answer or the failure. Latency is timed by the caller, not by the driver.
 */
public interface Driver extends AutoCloseable {
    /** Runs {@code task} on one of the driver's I/O threads; callable from any thread. */
    void execute(Runnable task);

    /**
     * Sends one request. Must be called on an I/O thread; never blocks; {@code completion} runs exactly once on the
     * calling I/O thread, also for failures and timeouts.
     */
    void send(LoadRequest request, Consumer<LoadResponse> completion);

    /** Closes connections and threads; waits at most a few seconds. */
    @Override
    void close();
}
