package io.funnel.model;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.SelectStrategy;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.InternetProtocolFamily;
import io.netty.util.concurrent.FastThreadLocal;
import io.vertx.core.datagram.DatagramSocketOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.net.TcpConfig;
import io.vertx.core.transport.Transport;

/**
 * Busy-polling of Vert.x event loops while they wait for rank results, so that a result handed back by a batcher
 * thread ({@link MicroBatcher}) is picked up within a microsecond or two instead of after an {@code epoll_wait}
 * wake-up (40–60 µs between vCPUs on the 2-core VMs this was measured on; see docs/benchmarks/model.md).
 *
 * <p>{@link #transport()} is Vert.x's epoll transport with one change: an event loop that has submitted a rank
 * request and not yet received its answer polls with {@code epoll_wait(0)} and checks its task queue in a loop
 * instead of sleeping. A loop with nothing outstanding sleeps as usual, so an idle server costs nothing. The price
 * is CPU: a waiting loop keeps its core busy for the length of the session call (it still serves its other
 * connections meanwhile, and yields the core every {@value #YIELD_EVERY} idle polls). Use it where each event loop
 * and each batcher thread can have a core; on a machine with fewer cores than loops plus batcher threads the
 * spinning loops take time from the model itself.
 *
 * <p>Threading: {@link #begin()} and {@link #end()} are called on the waiting event loop's own thread (the
 * micro-batcher does so for requests submitted from an event-loop context); the count is per thread.
 */
public final class EventLoopPolling {
    /** Idle polls between two {@link Thread#yield()}s of a polling loop. */
    public static final int YIELD_EVERY = 64;

    private static final FastThreadLocal<Waiting> WAITING = new FastThreadLocal<>() {
        @Override
        protected Waiting initialValue() {
            return new Waiting();
        }
    };

    private EventLoopPolling() {
    }

    /** Per event-loop thread: outstanding rank requests and idle polls since the last yield. */
    private static final class Waiting {
        int outstanding;
        int idlePolls;
    }

    /** The calling event loop now waits for one more result. */
    static void begin() {
        WAITING.get().outstanding++;
    }

    /** One result the calling event loop waited for has arrived. */
    static void end() {
        final Waiting w = WAITING.get();
        if (w.outstanding > 0) {
            w.outstanding--;
        }
    }

    /** Results the calling thread is waiting for (0 on threads that never called {@link #begin()}). */
    public static int outstanding() {
        return WAITING.get().outstanding;
    }

    /**
     * Whether {@link #transport()} can be used here: the native epoll transport is available (Linux, with
     * netty-transport-native-epoll on the class path).
     */
    public static boolean available() {
        return Transport.EPOLL.available();
    }

    /**
     * Vert.x's epoll transport whose event loops busy-poll while they wait for rank results; pass it to
     * {@code Vertx.builder().withTransport(...)}.
     *
     * @throws IllegalStateException if epoll is not available here, with Vert.x's reason
     */
    public static Transport transport() {
        if (!available()) {
            throw new IllegalStateException("event-loop busy polling needs the native epoll transport, which is not"
                    + " available here: " + Transport.EPOLL.unavailabilityCause());
        }
        final io.vertx.core.spi.transport.Transport epoll = Transport.EPOLL.implementation();
        final io.vertx.core.spi.transport.Transport polling = new PollingEpoll(epoll);
        return new Transport() {
            @Override
            public String name() {
                return "epoll-busy-poll";
            }

            @Override
            public boolean available() {
                return true;
            }

            @Override
            public Throwable unavailabilityCause() {
                return null;
            }

            @Override
            public io.vertx.core.spi.transport.Transport implementation() {
                return polling;
            }
        };
    }

    /** The select strategy: poll without sleeping while tasks are queued or a result is outstanding. */
    static int strategy(final io.netty.util.IntSupplier selectNow, final boolean hasTasks) throws Exception {
        if (hasTasks) {
            return selectNow.get();
        }
        final Waiting w = WAITING.get();
        if (w.outstanding == 0) {
            w.idlePolls = 0;
            return SelectStrategy.SELECT;
        }
        if (++w.idlePolls == YIELD_EVERY) {
            w.idlePolls = 0;
            Thread.yield();
        }
        return selectNow.get();
    }

    /** Vert.x's epoll transport with {@link #strategy} as the select strategy; everything else delegated. */
    private static final class PollingEpoll implements io.vertx.core.spi.transport.Transport {
        private final io.vertx.core.spi.transport.Transport epoll;

        PollingEpoll(final io.vertx.core.spi.transport.Transport epoll) {
            this.epoll = epoll;
        }

        @Override
        public IoHandlerFactory ioHandlerFactory() {
            return EpollIoHandler.newFactory(0, () -> EventLoopPolling::strategy);
        }

        @Override
        public boolean supportsDomainSockets() {
            return epoll.supportsDomainSockets();
        }

        @Override
        public boolean supportFileRegion() {
            return epoll.supportFileRegion();
        }

        @Override
        public boolean isAvailable() {
            return epoll.isAvailable();
        }

        @Override
        public Throwable unavailabilityCause() {
            return epoll.unavailabilityCause();
        }

        @Override
        public java.net.SocketAddress convert(final SocketAddress address) {
            return epoll.convert(address);
        }

        @Override
        public SocketAddress convert(final java.net.SocketAddress address) {
            return epoll.convert(address);
        }

        @Override
        public DatagramChannel datagramChannel(final InternetProtocolFamily family) {
            return epoll.datagramChannel(family);
        }

        @Override
        public ChannelFactory<? extends DatagramChannel> datagramChannelFactory() {
            return epoll.datagramChannelFactory();
        }

        @Override
        public ChannelFactory<? extends Channel> channelFactory(final boolean domainSocket) {
            return epoll.channelFactory(domainSocket);
        }

        @Override
        public ChannelFactory<? extends ServerChannel> serverChannelFactory(final boolean domainSocket) {
            return epoll.serverChannelFactory(domainSocket);
        }

        @Override
        public void configure(final DatagramChannel channel, final DatagramSocketOptions options) {
            epoll.configure(channel, options);
        }

        @Override
        public void configure(final TcpConfig config, final boolean domainSocket, final Bootstrap bootstrap) {
            epoll.configure(config, domainSocket, bootstrap);
        }

        @Override
        public void configure(final TcpConfig config, final boolean domainSocket, final ServerBootstrap bootstrap) {
            epoll.configure(config, domainSocket, bootstrap);
        }
    }
}
