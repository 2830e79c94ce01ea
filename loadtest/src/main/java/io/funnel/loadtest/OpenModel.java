package io.funnel.loadtest;

import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Open-model load: requests leave at a constant rate whatever the server does, and each latency is measured from the
 * request's <em>intended</em> send time, so a stalled server shows up in the tail instead of silently slowing the
 * load down (no coordinated omission). Shared by the {@code funnel bench} commands that drive a server.
 *
 * <p>Threading: {@link #run} paces on the calling thread; senders may complete from any thread.
 */
public final class OpenModel {
    private OpenModel() {}

    /** Called when a request is answered: {@code ok} false for an error or a non-success answer. */
    @FunctionalInterface
    public interface Completion {
        void complete(boolean ok);
    }

    /** Sends one request; must call {@code done} exactly once, from any thread. */
    @FunctionalInterface
    public interface Sender {
        void send(Completion done);
    }

    /** One target's results, latencies in microseconds. */
    public record Result(String name, long requests, long errors, double seconds, double p50, double p90, double p99,
            double p999, double max) {
        public double throughput() {
            return requests / seconds;
        }

        public String json() {
            return String.format(Locale.ROOT, "{\"requests\": %d, \"errors\": %d, \"throughput_rps\": %.1f,"
                    + " \"p50_us\": %.0f, \"p90_us\": %.0f, \"p99_us\": %.0f, \"p999_us\": %.0f, \"max_us\": %.0f}",
                    requests, errors, throughput(), p50, p90, p99, p999, max);
        }

        public void print() {
            System.out.printf(Locale.ROOT, "%-12s %8d req %6d err %9.1f req/s  p50 %8.0f  p90 %8.0f  p99 %8.0f"
                    + "  p99.9 %8.0f  max %8.0f us%n", name, requests, errors, throughput(), p50, p90, p99, p999, max);
        }
    }

    /**
     * Sends at {@code rate} per second for {@code warmupSeconds} (not recorded), then {@code durationSeconds}
     * (recorded), then waits up to 10 s for the outstanding answers (those still missing count as errors).
     *
     * @param onMeasureStart run on the pacing thread just before the first recorded request leaves (may be null)
     */
    public static Result run(final String name, final int rate, final int warmupSeconds, final int durationSeconds,
            final Sender sender, final Runnable onMeasureStart) throws InterruptedException {
        final Recorder recorder = new Recorder(60_000_000L, 3);
        final AtomicLong errors = new AtomicLong();
        final AtomicLong outstanding = new AtomicLong();
        final long intervalNs = 1_000_000_000L / rate;
        final long warmupNs = TimeUnit.SECONDS.toNanos(warmupSeconds);
        final long endNs = warmupNs + TimeUnit.SECONDS.toNanos(durationSeconds);
        final long start = System.nanoTime();
        boolean measuring = false;
        long sent = 0;
        while (true) {
            final long intended = start + sent * intervalNs;
            if (intended - start >= endNs) {
                break;
            }
            long wait;
            while ((wait = intended - System.nanoTime()) > 0) {
                LockSupport.parkNanos(Math.min(wait, 200_000));
            }
            final boolean measured = intended - start >= warmupNs;
            if (measured && !measuring) {
                measuring = true;
                if (onMeasureStart != null) {
                    onMeasureStart.run();
                }
            }
            outstanding.incrementAndGet();
            sender.send(ok -> {
                final long latencyUs = (System.nanoTime() - intended) / 1_000;
                if (!ok) {
                    errors.incrementAndGet();
                } else if (measured) {
                    recorder.recordValue(Math.min(latencyUs, 60_000_000L));
                }
                outstanding.decrementAndGet();
            });
            sent++;
        }
        final long drainUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (outstanding.get() > 0 && System.nanoTime() < drainUntil) {
            Thread.sleep(5);
        }
        errors.addAndGet(outstanding.get()); // still unanswered after 10 s
        final Histogram h = recorder.getIntervalHistogram();
        return new Result(name, h.getTotalCount(), errors.get(), durationSeconds, h.getValueAtPercentile(50),
                h.getValueAtPercentile(90), h.getValueAtPercentile(99), h.getValueAtPercentile(99.9), h.getMaxValue());
    }

    /**
     * A sender of {@code POST /v1/recommend} ({@code {"userId": U, "count": N}}, U uniform in 1..users from a seeded
     * sequence) or, when {@code recommend} is false, {@code GET /health/live}; success is status 200. Each request
     * is issued on {@code context} so every listener is attached before I/O can complete.
     */
    public static Sender http(final Context context, final HttpClient client, final String host, final int port,
            final boolean recommend, final int users, final int count, final long seed) {
        final SplittableRandom random = new SplittableRandom(seed);
        final RequestOptions options = new RequestOptions().setHost(host).setPort(port)
                .setMethod(recommend ? HttpMethod.POST : HttpMethod.GET)
                .setURI(recommend ? "/v1/recommend" : "/health/live");
        return done -> {
            final Buffer body = recommend
                    ? Buffer.buffer("{\"userId\": " + (1 + random.nextInt(users)) + ", \"count\": " + count + "}")
                    : null;
            context.runOnContext(v -> client.request(options)
                    .compose(req -> {
                        if (body != null) {
                            req.putHeader("content-type", "application/json");
                            return req.send(body);
                        }
                        return req.send();
                    })
                    .compose(resp -> resp.body().map(b -> resp.statusCode()))
                    .onComplete(ar -> done.complete(ar.succeeded() && ar.result() == 200)));
        };
    }
}
