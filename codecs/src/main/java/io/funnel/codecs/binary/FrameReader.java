package io.funnel.codecs.binary;

import io.vertx.core.buffer.Buffer;
import java.nio.ByteOrder;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Splits a byte stream into length-prefixed frames: a 4-byte little-endian length {@code n}, then {@code n} bytes
 * holding one SBE message (header included). Bytes arrive in chunks of any size; a frame split across chunks is held
 * until it is complete, several frames in one chunk are handed over one by one. One per connection.
 *
 * <p>Allocation: one growable byte array per reader, reused; it grows to the largest frame seen (at most
 * {@code maxFrameBytes} plus a chunk) and shrinks back to {@value #INITIAL_CAPACITY} bytes when it empties.
 *
 * <p>Threading: not thread-safe; owned by the connection's thread (its event loop).
 */
public final class FrameReader {
    /** Bytes of the length prefix. */
    public static final int LENGTH_BYTES = 4;
    /** Smallest frame: an SBE message header. */
    public static final int MIN_FRAME_BYTES = 8;
    private static final int INITIAL_CAPACITY = 16 * 1024;

    /** Receives each complete frame; the bytes are valid only during the call. */
    @FunctionalInterface
    public interface Handler {
        /**
         * @param buffer holds the frame at {@code [offset, offset + length)}; valid only during this call
         * @return {@code true} to go on reading, {@code false} to stop this reader for good (the caller closes)
         */
        boolean onFrame(DirectBuffer buffer, int offset, int length);
    }

    private final int maxFrameBytes;
    private byte[] bytes = new byte[INITIAL_CAPACITY];
    private final UnsafeBuffer view = new UnsafeBuffer(bytes);
    private int limit;
    private boolean stopped;

    /** @param maxFrameBytes largest accepted frame (the length prefix's value), bytes; at least 8 */
    public FrameReader(final int maxFrameBytes) {
        if (maxFrameBytes < MIN_FRAME_BYTES) {
            throw new IllegalArgumentException("maxFrameBytes must be >= " + MIN_FRAME_BYTES + ", got "
                    + maxFrameBytes);
        }
        this.maxFrameBytes = maxFrameBytes;
    }

    /** Feeds a chunk from the network; see {@link #onData(byte[], int, int, Handler)}. */
    public void onData(final Buffer chunk, final Handler handler) {
        final int n = chunk.length();
        if (stopped || n == 0) {
            return;
        }
        ensure(n);
        chunk.getBytes(0, n, bytes, limit);
        limit += n;
        drain(handler);
    }

    /**
     * Feeds {@code length} bytes and calls {@code handler} for every frame completed by them.
     *
     * @throws FrameException ({@link FrameError#OVERSIZE_LENGTH} or {@link FrameError#BAD_LENGTH}) when a length
     *     prefix is out of range; the reader is stopped then, since the next frame boundary is unknown
     */
    public void onData(final byte[] src, final int offset, final int length, final Handler handler) {
        if (stopped || length == 0) {
            return;
        }
        ensure(length);
        System.arraycopy(src, offset, bytes, limit, length);
        limit += length;
        drain(handler);
    }

    /** Whether bytes of an unfinished frame are held (a close now cuts a frame short). */
    public boolean hasPartialFrame() {
        return limit > 0 && !stopped;
    }

    /** Whether the reader stopped (a bad length, or a handler that asked to); it ignores any further bytes. */
    public boolean stopped() {
        return stopped;
    }

    private void drain(final Handler handler) {
        int pos = 0;
        try {
            while (limit - pos >= LENGTH_BYTES) {
                final int length = view.getInt(pos, ByteOrder.LITTLE_ENDIAN);
                if (Integer.compareUnsigned(length, maxFrameBytes) > 0) { // the prefix is an unsigned 32-bit length
                    stopped = true;
                    throw new FrameException(FrameError.OVERSIZE_LENGTH, 0, "frame.length", "frame length "
                            + Integer.toUnsignedString(length) + " is larger than the maximum of " + maxFrameBytes
                            + " bytes");
                }
                if (length < MIN_FRAME_BYTES) {
                    stopped = true;
                    throw new FrameException(FrameError.BAD_LENGTH, 0, "frame.length", "frame length " + length
                            + " is smaller than a message header (" + MIN_FRAME_BYTES + " bytes)");
                }
                if (limit - pos - LENGTH_BYTES < length) {
                    break; // wait for the rest of this frame
                }
                final int start = pos + LENGTH_BYTES;
                pos = start + length;
                if (!handler.onFrame(view, start, length)) {
                    stopped = true;
                    return;
                }
            }
        } finally {
            compact(stopped ? limit : pos);
        }
    }

    private void compact(final int consumed) {
        final int left = limit - consumed;
        if (left == 0 && bytes.length > INITIAL_CAPACITY) {
            bytes = new byte[INITIAL_CAPACITY]; // give back the memory of one big frame
            view.wrap(bytes);
        } else if (left > 0 && consumed > 0) {
            System.arraycopy(bytes, consumed, bytes, 0, left);
        }
        limit = left;
    }

    private void ensure(final int more) {
        final long needed = (long) limit + more;
        if (needed > bytes.length) {
            if (needed > Integer.MAX_VALUE - 16) {
                throw new IllegalStateException("frame buffer would exceed 2 GiB");
            }
            final byte[] grown = new byte[(int) Math.max(needed, Math.min(Integer.MAX_VALUE - 16,
                    (long) bytes.length * 2))];
            System.arraycopy(bytes, 0, grown, 0, limit);
            bytes = grown;
            view.wrap(bytes);
        }
    }
}
