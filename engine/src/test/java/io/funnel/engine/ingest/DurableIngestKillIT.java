package io.funnel.engine.ingest;

import static io.funnel.engine.ingest.IngestFixtures.FIRST_TEST_USER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The proof of the durable event path: a server in a child JVM takes event batches over HTTP while the test records
 * every acknowledged event; the child is SIGKILLed mid-stream, restarted on the same folder, and every acknowledged
 * event must be applied exactly once — no loss, no duplicate. Events whose request was cut by the kill may or may not
 * be there (they were possibly durable but never acknowledged), but at most once too.
 *
 * <p>Each event is a click of one of {@link #USERS} new users with a unique event time, so a user's row shows every
 * event it received (its recent-items ring holds 64 and each user gets at most {@link #MAX_PER_USER}) and its
 * interaction weight counts them (a click weighs 1). Bounded: 127.0.0.1 only, at most {@link #MAX_BATCHES} batches.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class DurableIngestKillIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int USERS = 200;
    private static final int PER_BATCH = 3;
    private static final int MAX_PER_USER = 60;
    private static final int MAX_BATCHES = USERS * MAX_PER_USER / PER_BATCH;
    private static final long FIRST_TS = 1_763_900_000_000L;

    @TempDir
    Path dir;

    private record Child(Process process, int port, long replayed, StringBuilder output) {}

    private Child start(final Path ingest) throws Exception {
        final String options = System.getProperty("funnel.jvm.options.file", "../config/jvm.options");
        assertTrue(Files.exists(Path.of(options)), "JVM options file " + options);
        final List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "@" + options, "-Xmx512m", "-cp", System.getProperty("java.class.path"),
                DurableServerMain.class.getName(), ingest.toString());
        final Process process = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        final StringBuilder output = new StringBuilder();
        final java.util.concurrent.CompletableFuture<String> listening = new java.util.concurrent.CompletableFuture<>();
        // One thread reads the child's output for its whole life: the test waits on it with a deadline, never on a
        // blocking read, so a child that hangs fails the test instead of hanging it.
        final Thread reader = new Thread(() -> {
            try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = out.readLine()) != null) {
                    if (line.startsWith("LISTENING ")) {
                        listening.complete(line);
                    }
                    synchronized (output) {
                        if (output.length() < 20_000) {
                            output.append(line).append('\n');
                        }
                    }
                }
            } catch (final java.io.IOException ignored) {
                // the child is gone
            }
            listening.complete(null);
        }, "child-output");
        reader.setDaemon(true);
        reader.start();
        final String line;
        try {
            line = listening.get(90, TimeUnit.SECONDS);
        } catch (final java.util.concurrent.TimeoutException e) {
            process.destroyForcibly();
            throw new AssertionError("the child server did not listen within 90 s; its output:\n" + output);
        }
        if (line == null) {
            process.destroyForcibly();
            throw new AssertionError("the child server exited before listening; its output:\n" + output);
        }
        final String[] parts = line.split(" ");
        return new Child(process, Integer.parseInt(parts[1]), Long.parseLong(parts[3]), output);
    }

    @Test
    void everyAcknowledgedEventSurvivesASigkillAndIsAppliedExactlyOnce() throws Exception {
        final Path ingest = dir.resolve("ingest");
        final Child first = start(ingest);
        assertEquals(0, first.replayed());

        final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        final Map<Long, Set<Long>> acked = new ConcurrentHashMap<>(); // user → acknowledged event times
        final Map<Long, Set<Long>> sent = new ConcurrentHashMap<>(); // user → every event time sent
        final AtomicInteger nextBatch = new AtomicInteger();
        final AtomicInteger ackedBatches = new AtomicInteger();
        final AtomicLong maxAckedPosition = new AtomicLong(-1);
        final AtomicBoolean stop = new AtomicBoolean();
        final List<Thread> senders = new ArrayList<>();
        final List<Throwable> unexpected = new java.util.concurrent.CopyOnWriteArrayList<>();
        for (int t = 0; t < 4; t++) {
            final Thread sender = new Thread(() -> {
                int b;
                while (!stop.get() && (b = nextBatch.getAndIncrement()) < MAX_BATCHES) {
                    final long user = FIRST_TEST_USER + b % USERS;
                    final StringBuilder body = new StringBuilder("{\"events\":[");
                    final long[] ts = new long[PER_BATCH];
                    for (int i = 0; i < PER_BATCH; i++) {
                        ts[i] = FIRST_TS + (long) b * PER_BATCH + i;
                        sent.computeIfAbsent(user, u -> ConcurrentHashMap.newKeySet()).add(ts[i]);
                        body.append(i == 0 ? "" : ",").append("{\"userId\":").append(user).append(",\"itemId\":")
                                .append(itemId(b, i)).append(",\"type\":\"click\",\"ts\":").append(ts[i])
                                .append('}');
                    }
                    body.append("]}");
                    try {
                        final HttpResponse<String> r = http.send(HttpRequest.newBuilder(
                                        URI.create("http://127.0.0.1:" + first.port() + "/v1/events"))
                                .timeout(Duration.ofSeconds(10))
                                .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(),
                                HttpResponse.BodyHandlers.ofString());
                        if (r.statusCode() == 200) {
                            final JsonNode ok = JSON.readTree(r.body());
                            assertEquals(PER_BATCH, ok.get("accepted").asInt(), r.body());
                            maxAckedPosition.accumulateAndGet(ok.get("logPosition").asLong(), Math::max);
                            for (final long t2 : ts) {
                                acked.computeIfAbsent(user, u -> ConcurrentHashMap.newKeySet()).add(t2);
                            }
                            ackedBatches.incrementAndGet();
                        } else if (r.statusCode() != 503) {
                            unexpected.add(new AssertionError("status " + r.statusCode() + ": " + r.body()));
                        }
                    } catch (final java.io.IOException e) {
                        return; // the server was killed under this request: its events are "maybe"
                    } catch (final InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    } catch (final Throwable e) {
                        unexpected.add(e);
                        return;
                    }
                }
            }, "sender-" + t);
            senders.add(sender);
            sender.start();
        }
        // Stream for at least a second and 150 acknowledged batches, then kill the server under load.
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        final long minimumEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
        while ((ackedBatches.get() < 150 || System.nanoTime() < minimumEnd) && System.nanoTime() < deadline
                && nextBatch.get() < MAX_BATCHES * 3 / 4) {
            Thread.sleep(10);
        }
        first.process().destroyForcibly(); // SIGKILL: no shutdown hook, no close, no final position write
        assertTrue(first.process().waitFor(30, TimeUnit.SECONDS));
        stop.set(true);
        for (final Thread sender : senders) {
            sender.join(30_000);
        }
        assertTrue(unexpected.isEmpty(), () -> "unexpected answers: " + unexpected + "\nchild output:\n"
                + first.output());
        final int ackedEvents = acked.values().stream().mapToInt(Set::size).sum();
        final int sentEvents = sent.values().stream().mapToInt(Set::size).sum();
        assertTrue(ackedBatches.get() >= 150, "only " + ackedBatches.get() + " batches acknowledged before the kill");

        final Child second = start(ingest);
        try {
            assertTrue(second.replayed() >= ackedEvents, "replayed " + second.replayed() + " events, acknowledged "
                    + ackedEvents);
            assertTrue(second.replayed() <= sentEvents, "replayed " + second.replayed() + " events, sent only "
                    + sentEvents);
            int seen = 0;
            for (int u = 0; u < USERS; u++) {
                final long user = FIRST_TEST_USER + u;
                final Set<Long> mustHave = acked.getOrDefault(user, Set.of());
                final Set<Long> mayHave = sent.getOrDefault(user, Set.of());
                final HttpResponse<String> r = http.send(HttpRequest.newBuilder(
                                URI.create("http://127.0.0.1:" + second.port() + "/v1/users/" + user))
                        .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 404) {
                    assertTrue(mustHave.isEmpty(), "user " + user + " is unknown after the restart but had "
                            + mustHave.size() + " acknowledged events");
                    continue;
                }
                assertEquals(200, r.statusCode(), r.body());
                final JsonNode row = JSON.readTree(r.body());
                final Map<Long, Integer> times = new HashMap<>();
                for (final JsonNode e : row.get("recent")) {
                    times.merge(e.get("ts").asLong(), 1, Integer::sum);
                }
                times.forEach((ts, n) -> {
                    assertEquals(1, n, "user " + user + ": event at " + ts + " applied " + n + " times");
                    assertTrue(mayHave.contains(ts), "user " + user + ": event at " + ts + " was never sent");
                });
                for (final long ts : mustHave) {
                    assertNotNull(times.get(ts), "user " + user + ": acknowledged event at " + ts + " was lost");
                }
                assertEquals(times.size(), row.get("interactionWeight").asDouble(), 0.0, "user " + user
                        + ": weight counts each applied event once");
                seen += times.size();
            }
            assertEquals(second.replayed(), seen, "every replayed event is one of the test's");
            final JsonNode stats = JSON.readTree(http.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + second.port() + "/v1/stats")).GET().build(),
                    HttpResponse.BodyHandlers.ofString()).body());
            assertTrue(stats.get("ingest").get("appliedPosition").asLong() >= maxAckedPosition.get(), stats.toString());
            System.out.printf("sent %d events, %d acknowledged, %d replayed after SIGKILL%n", sentEvents, ackedEvents,
                    second.replayed());
        } finally {
            second.process().destroyForcibly();
            second.process().waitFor(30, TimeUnit.SECONDS);
        }
    }

    /** Catalog item ids of the small test data set are 100000..100299 (see IngestFixtures.smallData). */
    private static long itemId(final int batch, final int i) {
        return 100_000L + (batch * 7L + i) % 300;
    }
}
