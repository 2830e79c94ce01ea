package io.funnel.codecs.binary;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.funnel.codecs.RecommendRequest;
import io.vertx.core.buffer.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.agrona.ExpandableArrayBuffer;
import org.junit.jupiter.api.Test;

class FrameReaderTest {
    /** Frames of increasing size, back to back. */
    private static byte[] stream(final int frames, final List<Long> ids) {
        final BinaryCodec codec = new BinaryCodec();
        final ExpandableArrayBuffer out = new ExpandableArrayBuffer();
        int at = 0;
        for (int i = 1; i <= frames; i++) {
            final RecommendRequest r = new RecommendRequest().userId(i);
            for (int x = 0; x < i; x++) {
                r.addExclude(x);
            }
            at += codec.encodeRecommend(i, r, out, at);
            ids.add((long) i);
        }
        final byte[] bytes = new byte[at];
        out.getBytes(0, bytes);
        return bytes;
    }

    @Test
    void framesSplitAnywhereAndBatchedComeOutWhole() {
        final List<Long> expected = new ArrayList<>();
        final byte[] bytes = stream(50, expected);
        final SplittableRandom random = new SplittableRandom(3);
        for (int round = 0; round < 200; round++) {
            final FrameReader reader = new FrameReader(1 << 20);
            final BinaryCodec codec = new BinaryCodec();
            final List<Long> seen = new ArrayList<>();
            int at = 0;
            while (at < bytes.length) {
                final int n = Math.min(bytes.length - at, 1 + random.nextInt(round % 2 == 0 ? 7 : 400));
                reader.onData(Buffer.buffer().appendBytes(bytes, at, n), (buf, off, len) -> {
                    codec.wrapFrame(buf, off, len);
                    final RecommendRequest r = codec.decodeRecommend(new RecommendRequest());
                    assertEquals(codec.correlationId(), r.userId());
                    assertEquals(r.userId(), r.excludeCount());
                    seen.add(codec.correlationId());
                    return true;
                });
                at += n;
            }
            assertEquals(expected, seen);
            assertFalse(reader.hasPartialFrame());
        }
    }

    @Test
    void aPartialFrameIsHeldUntilTheRestArrives() {
        final byte[] bytes = stream(1, new ArrayList<>());
        final FrameReader reader = new FrameReader(1 << 20);
        final int[] frames = {0};
        reader.onData(bytes, 0, bytes.length - 1, (b, o, l) -> ++frames[0] > 0);
        assertEquals(0, frames[0]);
        assertTrue(reader.hasPartialFrame());
        reader.onData(bytes, bytes.length - 1, 1, (b, o, l) -> ++frames[0] > 0);
        assertEquals(1, frames[0]);
        assertFalse(reader.hasPartialFrame());
    }

    private static byte[] lengthPrefix(final int length) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(length).array();
    }

    @Test
    void oversizeAndTooSmallLengthsStopTheReader() {
        final FrameReader reader = new FrameReader(1024);
        final byte[] oversize = lengthPrefix(1025);
        FrameException e = assertThrows(FrameException.class,
                () -> reader.onData(oversize, 0, 4, (b, o, l) -> true));
        assertEquals(FrameError.OVERSIZE_LENGTH, e.error());
        assertEquals("frame.length", e.field());
        assertTrue(e.getMessage().contains("1025"), e.getMessage());
        assertTrue(reader.stopped());
        reader.onData(stream(1, new ArrayList<>()), 0, 20, (b, o, l) -> {
            throw new AssertionError("a stopped reader reads nothing more");
        });

        for (final int bad : new int[] {-1, 0, 7, Integer.MIN_VALUE}) {
            final FrameReader r = new FrameReader(1024);
            e = assertThrows(FrameException.class, () -> r.onData(lengthPrefix(bad), 0, 4, (b, o, l) -> true));
            assertEquals(bad < 0 ? FrameError.OVERSIZE_LENGTH : FrameError.BAD_LENGTH, e.error(), "length " + bad);
        }
    }

    @Test
    void aHandlerCanStopTheReader() {
        final byte[] bytes = stream(3, new ArrayList<>());
        final FrameReader reader = new FrameReader(1 << 20);
        final int[] frames = {0};
        reader.onData(bytes, 0, bytes.length, (b, o, l) -> ++frames[0] < 2);
        assertEquals(2, frames[0]);
        assertTrue(reader.stopped());
        assertFalse(reader.hasPartialFrame());
    }

    @Test
    void maxFrameBytesIsChecked() {
        assertThrows(IllegalArgumentException.class, () -> new FrameReader(7));
    }
}
