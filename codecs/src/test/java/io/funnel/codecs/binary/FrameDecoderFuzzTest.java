package io.funnel.codecs.binary;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.funnel.codecs.BadInputException;
import io.funnel.codecs.EventBatch;
import io.funnel.codecs.RecommendRequest;
import io.funnel.codecs.RecommendResponse;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

/**
 * The frame reader and every message decoder, fed hostile bytes, throw nothing but their documented
 * {@link BadInputException} (of which {@link FrameException} is a kind): no index errors, no negative array sizes,
 * no endless loops.
 *
 * <p>{@link #decodeFrames} is a Jazzer fuzz test. In the normal build (no {@code JAZZER_FUZZ}) it runs in regression
 * mode over the seed corpus in {@code src/test/resources/io/funnel/codecs/binary/FrameDecoderFuzzTestInputs/
 * decodeFrames} (valid frames of every message, and a few broken ones). With {@code JAZZER_FUZZ=1} it fuzzes,
 * bounded by {@code maxDuration}. {@link #seededMutationsOfValidFrames} mutates the same seeds with a fixed random
 * seed in every build, so the normal build exercises many mutated frames too, fuzzer or not.
 */
class FrameDecoderFuzzTest {
    private static final int MAX_FRAME = 64 * 1024;
    private static final String SEEDS = "FrameDecoderFuzzTestInputs/decodeFrames/";
    private static final String[] SEED_NAMES = {
        "recommend_full", "recommend_plain", "response", "events", "ack", "error", "two_frames", "oversize_length",
        "short_length", "wrong_schema", "truncated_group", "bad_event_kind"
    };

    @FuzzTest(maxDuration = "20s", maxExecutions = 500_000)
    void decodeFrames(final byte[] data) {
        decodeStream(data, Math.max(1, data.length / 3));
        if (data.length > FrameReader.LENGTH_BYTES) {
            // The same bytes as one frame without its length prefix: mutations reach the message decoders directly.
            decodeOne(new BinaryCodec(), new UnsafeBuffer(data), FrameReader.LENGTH_BYTES,
                    data.length - FrameReader.LENGTH_BYTES);
        }
    }

    /** Feeds {@code data} to a reader in chunks of {@code chunk} bytes; returns the frames decoded. */
    private static int decodeStream(final byte[] data, final int chunk) {
        final FrameReader reader = new FrameReader(MAX_FRAME);
        final BinaryCodec codec = new BinaryCodec();
        final int[] frames = {0};
        try {
            for (int at = 0; at < data.length; at += chunk) {
                reader.onData(data, at, Math.min(chunk, data.length - at), (buffer, offset, length) -> {
                    frames[0]++;
                    decodeOne(codec, buffer, offset, length);
                    return true;
                });
            }
        } catch (final BadInputException expected) {
            // a bad length prefix: documented
        }
        return frames[0];
    }

    /** Decodes one frame as whatever its header says; only the documented error type may come out. */
    private static void decodeOne(final BinaryCodec codec, final DirectBuffer buffer, final int offset,
            final int length) {
        try {
            switch (codec.wrapFrame(buffer, offset, length)) {
                case BinaryCodec.RECOMMEND_REQUEST -> codec.decodeRecommend(new RecommendRequest());
                case BinaryCodec.RECOMMEND_RESPONSE -> codec.decodeResponse(new RecommendResponse());
                case BinaryCodec.EVENT_BATCH -> codec.decodeEvents(1, new EventBatch());
                case BinaryCodec.ACK -> codec.decodeAck();
                case BinaryCodec.ERROR -> codec.decodeError();
                default -> throw new AssertionError("wrapFrame returned an unknown template");
            }
        } catch (final BadInputException expected) {
            // documented: a FrameException or a field error
        }
    }

    private static List<byte[]> seeds() throws IOException {
        final List<byte[]> out = new ArrayList<>();
        for (final String name : SEED_NAMES) {
            try (InputStream in = FrameDecoderFuzzTest.class.getResourceAsStream(SEEDS + name)) {
                if (in == null) {
                    throw new IllegalStateException("seed " + SEEDS + name + " is missing from the test resources");
                }
                out.add(in.readAllBytes());
            }
        }
        return out;
    }

    @Test
    void theValidSeedsDecode() throws IOException {
        final List<byte[]> seeds = seeds();
        // The first seven are valid: each holds whole frames that decode without error.
        for (int i = 0; i < 7; i++) {
            final byte[] seed = seeds.get(i);
            final FrameReader reader = new FrameReader(MAX_FRAME);
            final BinaryCodec codec = new BinaryCodec();
            final int[] frames = {0};
            reader.onData(seed, 0, seed.length, (buffer, offset, length) -> {
                final int template = codec.wrapFrame(buffer, offset, length);
                frames[0]++;
                switch (template) {
                    case BinaryCodec.RECOMMEND_REQUEST -> codec.decodeRecommend(new RecommendRequest());
                    case BinaryCodec.RECOMMEND_RESPONSE -> codec.decodeResponse(new RecommendResponse());
                    case BinaryCodec.EVENT_BATCH -> codec.decodeEvents(1, new EventBatch());
                    case BinaryCodec.ACK -> codec.decodeAck();
                    default -> codec.decodeError();
                }
                return true;
            });
            assertEquals(SEED_NAMES[i].equals("two_frames") ? 2 : 1, frames[0], SEED_NAMES[i]);
        }
    }

    @Test
    void seededMutationsOfValidFrames() throws IOException {
        final List<byte[]> seeds = seeds();
        final SplittableRandom random = new SplittableRandom(20261123);
        final long deadline = System.nanoTime() + 3_000_000_000L;
        int runs = 0;
        int decoded = 0;
        while (runs < 300_000 && System.nanoTime() < deadline) {
            final byte[] data = mutate(seeds.get(random.nextInt(seeds.size())), random);
            decodeFrames(data);
            decoded += decodeStream(data, 1 + random.nextInt(Math.max(1, data.length)));
            runs++;
        }
        System.out.printf("seeded mutation fuzz: %d mutated inputs, %d frames decoded%n", runs, decoded);
        assertTrue(runs >= 10_000, "only " + runs + " mutated inputs in 3 s");
        assertTrue(decoded > runs / 10, "mutations mostly kept a readable length prefix: " + decoded + " frames");
    }

    /** Flips, overwrites, inserts, deletes or truncates a few bytes, or patches a 16-bit field with an edge value. */
    private static byte[] mutate(final byte[] seed, final SplittableRandom random) {
        byte[] d = seed.clone();
        final int edits = 1 + random.nextInt(4);
        for (int e = 0; e < edits && d.length > 0; e++) {
            final int at = random.nextInt(d.length);
            switch (random.nextInt(6)) {
                case 0 -> d[at] ^= (byte) (1 << random.nextInt(8));
                case 1 -> d[at] = (byte) random.nextInt(256);
                case 2 -> {
                    final short[] edge = {0, 1, -1, Short.MAX_VALUE, Short.MIN_VALUE, 8, 27};
                    if (at + 1 < d.length) {
                        final short v = edge[random.nextInt(edge.length)];
                        d[at] = (byte) v;
                        d[at + 1] = (byte) (v >> 8);
                    }
                }
                case 3 -> d = java.util.Arrays.copyOf(d, at);
                case 4 -> {
                    final byte[] grown = new byte[d.length + 1];
                    System.arraycopy(d, 0, grown, 0, at);
                    grown[at] = (byte) random.nextInt(256);
                    System.arraycopy(d, at, grown, at + 1, d.length - at);
                    d = grown;
                }
                default -> {
                    final byte[] shrunk = new byte[d.length - 1];
                    System.arraycopy(d, 0, shrunk, 0, at);
                    System.arraycopy(d, at + 1, shrunk, at, d.length - at - 1);
                    d = shrunk;
                }
            }
        }
        return d;
    }
}
