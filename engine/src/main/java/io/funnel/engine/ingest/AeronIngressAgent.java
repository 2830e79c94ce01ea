package io.funnel.engine.ingest;

import io.aeron.FragmentAssembler;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.logbuffer.Header;
import io.funnel.codecs.BadInputException;
import io.funnel.codecs.EventBatch;
import io.funnel.codecs.sbe.AckEncoder;
import io.funnel.codecs.sbe.ErrorCode;
import io.funnel.codecs.sbe.ErrorEncoder;
import io.funnel.codecs.sbe.MessageHeaderEncoder;
import io.funnel.engine.metrics.FunnelMetrics;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Polls the Aeron ingress stream, decodes each SBE {@code EventBatch} message and submits it through the
 * {@link EventIntake} — so it is made durable and applied exactly like an HTTP batch.
 *
 * <p><b>Acknowledgements.</b> An Aeron publisher has no reply path of its own. When an ack publication is configured
 * ({@code ingest.aeron.ackChannel}), each batch gets an SBE {@code Ack} (its correlation id, events accepted, and the
 * log position after it) once it is durable and applied, or an SBE {@code Error} (correlation id, 400/422/503/500,
 * field and reason) when it is refused; a publisher that needs "never lost" waits for the Ack and resends on an
 * Error or a time-out. Without an ack publication, delivery is fire-and-forget from the publisher's side and only the
 * counters ({@code funnel_ingest_*}) tell what happened. Acks that cannot be sent (no subscriber, back pressure) are
 * counted as {@code ack_dropped}, never waited for.
 *
 * <p>Bad messages (another schema or template, truncated, no or too many events, an unknown kind or item) are
 * counted by kind ({@code aeron_<kind>}), logged (the first few of each kind) and skipped; the agent keeps running.
 *
 * <p>Threading: {@link #doWork()} runs on one agent thread (an Agrona {@code AgentRunner}); acks are sent from that
 * thread or the applier's, through a lock held only while encoding and offering one small message.
 */
public final class AeronIngressAgent implements Agent {
    private static final Logger LOG = LoggerFactory.getLogger(AeronIngressAgent.class);
    private static final int LOGGED_PER_KIND = 10;

    private final Subscription subscription;
    private final EventIntake intake;
    private final FunnelMetrics metrics;
    private final Publication acks;
    private final FragmentAssembler assembler = new FragmentAssembler(this::onMessage);
    private final EventBatchCodec codec = new EventBatchCodec();
    private final Map<String, AtomicLong> logged = new ConcurrentHashMap<>();
    private final AtomicLong received = new AtomicLong();
    // Guarded by "this": the ack encoders and their buffer.
    private final UnsafeBuffer ackBuffer = new UnsafeBuffer(new byte[4096]);
    private final MessageHeaderEncoder ackHeader = new MessageHeaderEncoder();
    private final AckEncoder ack = new AckEncoder();
    private final ErrorEncoder error = new ErrorEncoder();

    /**
     * @param subscription the ingress stream (owned by the caller)
     * @param acks         where Ack and Error messages go, or {@code null} for none (owned by the caller)
     */
    public AeronIngressAgent(final Subscription subscription, final EventIntake intake, final FunnelMetrics metrics,
            final Publication acks) {
        this.subscription = subscription;
        this.intake = intake;
        this.metrics = metrics;
        this.acks = acks;
    }

    @Override
    public int doWork() {
        return subscription.poll(assembler, 16);
    }

    @Override
    public String roleName() {
        return "funnel-aeron-ingress";
    }

    /** Messages received so far, well-formed or not. */
    public long received() {
        return received.get();
    }

    private void onMessage(final DirectBuffer buffer, final int offset, final int length, final Header header) {
        received.incrementAndGet();
        // The batch is handed over to the applier thread: a new one per message, never pooled.
        final EventBatch batch = new EventBatch(Math.min(EventBatch.MAX_EVENTS, Math.max(1, length / 25)));
        final int status = codec.decode(buffer, offset, length, System.currentTimeMillis(), batch);
        if (status != EventBatchCodec.OK) {
            final String kind = EventBatchCodec.statusName(status);
            refuse(codec.lastCorrelationId(), ErrorCode.BAD_REQUEST, kind, "EventBatch message refused: " + kind
                    + " (" + length + " bytes from session " + header.sessionId() + ")");
            return;
        }
        final long correlationId = codec.lastCorrelationId();
        try {
            intake.submit(batch, null).onComplete(ar -> {
                if (ar.succeeded()) {
                    sendAck(correlationId, ar.result().events(), ar.result().logPosition());
                } else if (EventApplier.QUEUE_FULL.equals(ar.cause().getMessage())) {
                    refuse(correlationId, ErrorCode.OVERLOADED, "queue_full", "event queue is full, retry later");
                } else {
                    refuse(correlationId, ErrorCode.INTERNAL, "not_applied", "events could not be applied: "
                            + ar.cause().getMessage());
                }
            });
        } catch (final BadInputException e) {
            refuse(correlationId, ErrorCode.UNPROCESSABLE, "unknown_item", e.getMessage());
        }
    }

    private void refuse(final long correlationId, final ErrorCode code, final String kind, final String message) {
        metrics.countIngestError("aeron_" + kind);
        final long n = logged.computeIfAbsent(kind, k -> new AtomicLong()).incrementAndGet();
        if (n <= LOGGED_PER_KIND) {
            LOG.warn("aeron ingress: {} (correlation id {}){}", message, correlationId,
                    n == LOGGED_PER_KIND ? "; further '" + kind + "' refusals are only counted" : "");
        }
        sendError(correlationId, code, kind, message);
    }

    private synchronized void sendAck(final long correlationId, final int accepted, final long logPosition) {
        if (acks == null) {
            return;
        }
        ack.wrapAndApplyHeader(ackBuffer, 0, ackHeader)
                .correlationId(correlationId)
                .accepted(accepted)
                .logPosition(logPosition);
        offer(MessageHeaderEncoder.ENCODED_LENGTH + ack.encodedLength());
    }

    private synchronized void sendError(final long correlationId, final ErrorCode code, final String field,
            final String message) {
        if (acks == null) {
            return;
        }
        error.wrapAndApplyHeader(ackBuffer, 0, ackHeader)
                .correlationId(correlationId)
                .code(code)
                .field(field)
                .message(message.length() > 512 ? message.substring(0, 512) : message);
        offer(MessageHeaderEncoder.ENCODED_LENGTH + error.encodedLength());
    }

    private void offer(final int length) {
        if (acks.offer(ackBuffer, 0, length) < 0) {
            metrics.countIngestError("ack_dropped");
        }
    }
}
