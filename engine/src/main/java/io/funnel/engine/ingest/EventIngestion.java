package io.funnel.engine.ingest;

import io.aeron.Publication;
import io.aeron.Subscription;
import io.funnel.engine.FunnelException;
import io.funnel.engine.config.FunnelConfig;
import io.funnel.engine.metrics.FunnelMetrics;
import io.funnel.engine.offline.ServingState;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import org.agrona.CloseHelper;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The event path of a running server, wired from {@code ingest:} in the configuration: the durable event log (when
 * {@code ingest.durable}), the single-writer {@link EventApplier} (which replays the log before going live), the
 * {@link EventIntake} every transport submits through, and the Aeron ingress stream (when
 * {@code ingest.aeron.enabled}).
 *
 * <p>Threading: {@link #start} and {@link #close()} from any one thread (they block: use a worker); the accessors are
 * thread-safe.
 */
public final class EventIngestion implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EventIngestion.class);

    private final ArchiveEventLog log;
    private final EmbeddedAeron ingressMedia;
    private final EventApplier applier;
    private final EventIntake intake;
    private Subscription ingress;
    private Publication acks;
    private AgentRunner ingressRunner;
    private AeronIngressAgent ingressAgent;

    private EventIngestion(final ArchiveEventLog log, final EmbeddedAeron ingressMedia, final EventApplier applier,
            final EventIntake intake) {
        this.log = log;
        this.ingressMedia = ingressMedia;
        this.applier = applier;
        this.intake = intake;
    }

    /**
     * Opens the log (durable mode), starts the applier and waits for its replay, then starts the ingress stream.
     * Blocking: call it from a worker thread, never an event loop.
     *
     * @param pinApplier runs first on the applier thread (CPU pinning)
     * @throws FunnelException when the log cannot be opened or replayed, or the ingress stream cannot start
     */
    public static EventIngestion start(final FunnelConfig config, final ServingState state,
            final FunnelMetrics metrics, final Runnable pinApplier) {
        final FunnelConfig.Ingest cfg = config.ingest;
        ArchiveEventLog log = null;
        EmbeddedAeron ingressMedia = null;
        EventApplier applier = null;
        try {
            if (cfg.durable) {
                log = ArchiveEventLog.open(Path.of(cfg.dir), cfg.aeronDir, fileSyncLevel(cfg.fileSync),
                        cfg.termMiB << 20, cfg.segmentMiB << 20, cfg.idleMaxParkMicros);
                applier = new EventApplier(state, metrics, cfg.queueCapacity, config.popularity.refreshMillis,
                        pinApplier, log, new AppliedPositionFile(Path.of(cfg.dir)),
                        EmbeddedAeron.idle(cfg.idleMaxParkMicros));
                metrics.ingestPositions(log::durablePosition, state::logPosition);
            } else {
                applier = new EventApplier(state, metrics, cfg.queueCapacity, config.popularity.refreshMillis,
                        pinApplier, null, null, new BackoffIdleStrategy(1, 10, 1_000, 1_000_000));
            }
            // Not Future.await(): this may run on a Vert.x worker thread, where await is refused.
            final long replayed = applier.started().toCompletionStage().toCompletableFuture().get();
            if (log != null) {
                LOG.info("event log {} is live at position {} ({} events replayed, fileSync {})", cfg.dir,
                        Math.max(state.logPosition(), log.startPosition()), replayed, cfg.fileSync);
            }
            if (cfg.aeron.enabled && log == null) {
                ingressMedia = EmbeddedAeron.launch(cfg.aeronDir, cfg.idleMaxParkMicros);
            }
            final EventIngestion ingestion = new EventIngestion(log, ingressMedia, applier,
                    new EventIntake(state.store(), applier));
            if (cfg.aeron.enabled) {
                ingestion.startIngress(cfg, metrics);
            }
            return ingestion;
        } catch (final Exception e) {
            if (applier != null) {
                applier.close();
            }
            CloseHelper.quietCloseAll(ingressMedia, log);
            final Throwable cause = e instanceof java.util.concurrent.ExecutionException ? e.getCause() : e;
            if (cause instanceof FunnelException f) {
                throw f;
            }
            throw new FunnelException("cannot start the event path: " + cause.getMessage(), cause);
        }
    }

    /** As {@link #start}, on a worker thread of {@code vertx}. */
    public static Future<EventIngestion> startAsync(final Vertx vertx, final FunnelConfig config,
            final ServingState state, final FunnelMetrics metrics, final Runnable pinApplier) {
        return vertx.executeBlocking(() -> start(config, state, metrics, pinApplier), false);
    }

    private void startIngress(final FunnelConfig.Ingest cfg, final FunnelMetrics metrics) {
        final EmbeddedAeron media = log != null ? log.media() : ingressMedia;
        ingress = media.aeron().addSubscription(cfg.aeron.channel, cfg.aeron.streamId);
        if (!cfg.aeron.ackChannel.isEmpty()) {
            acks = media.aeron().addPublication(cfg.aeron.ackChannel, cfg.aeron.ackStreamId);
        }
        ingressAgent = new AeronIngressAgent(ingress, intake, metrics, acks);
        ingressRunner = new AgentRunner(EmbeddedAeron.idle(cfg.idleMaxParkMicros), e -> {
            metrics.countIngestError("aeron_agent");
            LOG.error("aeron ingress agent failed; it keeps polling", e);
        }, null, ingressAgent);
        AgentRunner.startOnThread(ingressRunner);
        LOG.info("aeron ingress on {} stream {} (driver directory {}){}", cfg.aeron.channel, cfg.aeron.streamId,
                media.directory(), acks == null ? "; no acks" : "; acks on " + cfg.aeron.ackChannel + " stream "
                        + cfg.aeron.ackStreamId);
    }

    /** Aeron Archive's {@code fileSyncLevel} for {@code ingest.fileSync}. */
    static int fileSyncLevel(final String fileSync) {
        return switch (fileSync) {
            case "none" -> 0;
            case "data" -> 1;
            case "metadata" -> 2;
            default -> throw new IllegalArgumentException("ingest.fileSync must be none, data or metadata, got '"
                    + fileSync + "'");
        };
    }

    /** Where every transport submits events. */
    public EventIntake intake() {
        return intake;
    }

    /** The single writer. */
    public EventApplier applier() {
        return applier;
    }

    /** The durable log, or {@code null} when {@code ingest.durable} is off. */
    public ArchiveEventLog log() {
        return log;
    }

    /** The embedded media driver (publishers in this process connect through it), or {@code null} when none runs. */
    public EmbeddedAeron media() {
        return log != null ? log.media() : ingressMedia;
    }

    /** The ingress agent, or {@code null} when the Aeron stream is off. */
    public AeronIngressAgent ingressAgent() {
        return ingressAgent;
    }

    /**
     * Stops the ingress stream, lets the applier append and apply what is queued, then stops the log, the archive and
     * the media driver. Blocking.
     */
    @Override
    public void close() {
        CloseHelper.quietClose(ingressRunner);
        CloseHelper.quietCloseAll(ingress, acks);
        applier.close();
        CloseHelper.quietCloseAll(log, ingressMedia);
    }
}
