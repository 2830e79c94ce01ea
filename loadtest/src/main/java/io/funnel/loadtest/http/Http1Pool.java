package io.funnel.loadtest.http;

import io.funnel.loadtest.spi.LoadResponse;
import io.funnel.loadtest.spi.Outcome;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Keep-alive HTTP/1.1 connections of one event loop, with a small codec of its own over a Vert.x {@link NetClient}:
 * a request goes out as pre-encoded bytes, the answer is parsed just enough to get its status and body
 * ({@code Content-Length} or chunked). It exists for speed: a load generator that spends less per request than the
 * server is what makes its maximum rate meaningful (the general-purpose client costs about three times as much).
 * No pipelining: one request per connection at a time; requests wait in a queue when every connection is busy.
 *
 * <p>Threading: confined to its event loop; every method must be called on it.
 */
final class Http1Pool {
    private static final byte[] HEADER_END = {'\r', '\n', '\r', '\n'};
    private static final byte[] CONTENT_LENGTH = "content-length:".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] TRANSFER_ENCODING = "transfer-encoding:".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CONNECTION = "connection:".getBytes(StandardCharsets.US_ASCII);
    /** The parse buffer of an idle connection; replaced, never appended to. */
    private static final Buffer EMPTY = Buffer.buffer(0);

    private final NetClient client;
    private final String host;
    private final int port;
    private final int maxConnections;
    private final long timeoutNs;
    private final List<Connection> all = new ArrayList<>();
    private final ArrayDeque<Connection> idle = new ArrayDeque<>();
    private final ArrayDeque<Pending> waiting = new ArrayDeque<>();
    private int connecting;

    Http1Pool(final Vertx vertx, final NetClient client, final String host, final int port, final int maxConnections,
            final long timeoutMs) {
        this.client = client;
        this.host = host;
        this.port = port;
        this.maxConnections = maxConnections;
        this.timeoutNs = timeoutMs * 1_000_000L;
        // One sweep a few times per timeout instead of a timer per request.
        vertx.setPeriodic(Math.max(10, timeoutMs / 4), id -> sweep());
    }

    /** A request waiting for, or on, a connection. */
    private record Pending(Buffer bytes, Consumer<LoadResponse> completion) {}

    /** Sends {@code bytes} (a whole HTTP/1.1 request) and completes with the answer. */
    void send(final Buffer bytes, final Consumer<LoadResponse> completion) {
        final Connection c = idle.pollLast(); // the most recently used connection is the warmest
        final Pending p = new Pending(bytes, completion);
        if (c != null) {
            c.start(p);
            return;
        }
        waiting.addLast(p);
        if (all.size() + connecting < maxConnections && connecting < waiting.size()) {
            connect();
        }
    }

    private void connect() {
        connecting++;
        client.connect(port, host).onComplete(ar -> {
            connecting--;
            if (ar.failed()) {
                // Fail one waiting request per failed attempt, so a dead server shows as connect errors, not a hang.
                final Pending p = waiting.pollFirst();
                if (p != null) {
                    p.completion().accept(LoadResponse.failed(Outcome.CONNECT_ERROR, String.valueOf(ar.cause())));
                }
                if (!waiting.isEmpty() && all.size() + connecting < maxConnections) {
                    connect();
                }
                return;
            }
            final Connection c = new Connection(ar.result());
            all.add(c);
            c.ready();
        });
    }

    private void sweep() {
        final long now = System.nanoTime();
        for (final Connection c : new ArrayList<>(all)) {
            if (c.current != null && now - c.sentNs > timeoutNs) {
                c.fail(Outcome.TIMEOUT, "no answer within " + timeoutNs / 1_000_000 + " ms");
            }
        }
    }

    /** One connection and its response parser. */
    private final class Connection {
        private final NetSocket socket;
        private Buffer acc = EMPTY;
        private Pending current;
        private long sentNs;
        private int status = -1;
        private int bodyStart;
        private int contentLength;
        private boolean chunked;
        private boolean closeAfter;
        private boolean closed;

        Connection(final NetSocket socket) {
            this.socket = socket;
            socket.handler(this::onData);
            socket.closeHandler(v -> fail(Outcome.IO_ERROR, "connection closed"));
            socket.exceptionHandler(e -> fail(Outcome.IO_ERROR, String.valueOf(e.getMessage())));
        }

        /** Takes the next waiting request or goes idle. */
        void ready() {
            if (closed) {
                return;
            }
            final Pending next = waiting.pollFirst();
            if (next != null) {
                start(next);
            } else {
                idle.addLast(this);
            }
        }

        void start(final Pending p) {
            current = p;
            sentNs = System.nanoTime();
            socket.write(p.bytes());
        }

        private void onData(final Buffer data) {
            // Usually a whole answer arrives in one read: parse it where it lies instead of copying it.
            if (acc.length() == 0) {
                acc = data;
            } else {
                acc.appendBuffer(data);
            }
            if (current == null) {
                return; // bytes nobody asked for: ignored, the connection is reset on the next parse error
            }
            if (status < 0 && !parseHead()) {
                return;
            }
            final Buffer body;
            if (chunked) {
                body = dechunk();
                if (body == null) {
                    return;
                }
            } else {
                if (acc.length() < bodyStart + contentLength) {
                    return;
                }
                body = acc.slice(bodyStart, bodyStart + contentLength);
            }
            final Pending done = current;
            final int code = status;
            current = null;
            status = -1;
            acc = EMPTY;
            done.completion().accept(new HttpDriver.HttpResponse(HttpDriver.classify(code), code, body));
            if (closeAfter) {
                closeAfter = false;
                closed = true;
                all.remove(this);
                socket.close();
            } else {
                ready();
            }
        }

        /**
         * Parses the status line and headers once they are complete; false while more bytes are needed. Works on the
         * bytes: no strings for the common headers.
         */
        private boolean parseHead() {
            final int end = indexOf(acc, HEADER_END, 0);
            if (end < 0) {
                return false;
            }
            if (end < 12 || acc.getByte(0) != 'H' || acc.getByte(5) != '1' || acc.getByte(8) != ' ') {
                fail(Outcome.IO_ERROR, "not an HTTP/1.x answer");
                return false;
            }
            status = (acc.getByte(9) - '0') * 100 + (acc.getByte(10) - '0') * 10 + (acc.getByte(11) - '0');
            bodyStart = end + 4;
            contentLength = 0;
            chunked = false;
            closeAfter = false;
            int line = indexOf(acc, HEADER_END, 0, 2) + 2;
            while (line < end) {
                int next = indexOf(acc, HEADER_END, line, 2);
                if (next < 0 || next > end) {
                    next = end;
                }
                if (startsWithIgnoreCase(acc, line, CONTENT_LENGTH)) {
                    contentLength = 0;
                    for (int i = line + CONTENT_LENGTH.length; i < next; i++) {
                        final byte b = acc.getByte(i);
                        if (b >= '0' && b <= '9') {
                            contentLength = contentLength * 10 + (b - '0');
                        }
                    }
                } else if (startsWithIgnoreCase(acc, line, TRANSFER_ENCODING)) {
                    chunked = acc.getString(line, next, "ISO-8859-1").toLowerCase(Locale.ROOT).contains("chunked");
                } else if (startsWithIgnoreCase(acc, line, CONNECTION)) {
                    closeAfter = acc.getString(line, next, "ISO-8859-1").toLowerCase(Locale.ROOT).contains("close");
                }
                line = next + 2;
            }
            return true;
        }

        /** The body of a complete chunked answer, or null while more bytes are needed. */
        private Buffer dechunk() {
            final Buffer body = Buffer.buffer();
            int at = bodyStart;
            while (true) {
                final int lineEnd = indexOf(acc, HEADER_END, at, 2);
                if (lineEnd < 0) {
                    return null;
                }
                final String sizeText = acc.getString(at, lineEnd, "ISO-8859-1");
                final int semicolon = sizeText.indexOf(';');
                final int size = Integer.parseInt((semicolon < 0 ? sizeText : sizeText.substring(0, semicolon)).trim(),
                        16);
                at = lineEnd + 2;
                if (size == 0) {
                    // Trailers end with an empty line.
                    return indexOf(acc, HEADER_END, at - 2) >= 0 ? body : null;
                }
                if (acc.length() < at + size + 2) {
                    return null;
                }
                body.appendBuffer(acc.slice(at, at + size));
                at += size + 2;
            }
        }

        void fail(final Outcome outcome, final String reason) {
            if (closed) {
                return;
            }
            closed = true;
            all.remove(this);
            idle.remove(this);
            final Pending p = current;
            current = null;
            socket.close();
            if (p != null) {
                p.completion().accept(LoadResponse.failed(outcome, reason));
            }
            // Someone may be waiting for a connection that will now never free up.
            if (!waiting.isEmpty() && all.size() + connecting < maxConnections) {
                connect();
            }
        }
    }

    /** Whether {@code b} holds {@code lowerCase} at {@code at}, ignoring the case of ASCII letters. */
    private static boolean startsWithIgnoreCase(final Buffer b, final int at, final byte[] lowerCase) {
        if (at + lowerCase.length > b.length()) {
            return false;
        }
        for (int k = 0; k < lowerCase.length; k++) {
            final byte c = b.getByte(at + k);
            if ((c >= 'A' && c <= 'Z' ? c + 32 : c) != lowerCase[k]) {
                return false;
            }
        }
        return true;
    }

    private static int indexOf(final Buffer b, final byte[] pattern, final int from) {
        return indexOf(b, pattern, from, pattern.length);
    }

    /** Where the first {@code length} bytes of {@code pattern} start in {@code b} at or after {@code from}, or -1. */
    private static int indexOf(final Buffer b, final byte[] pattern, final int from, final int length) {
        final int last = b.length() - length;
        outer:
        for (int i = from; i <= last; i++) {
            for (int k = 0; k < length; k++) {
                if (b.getByte(i + k) != pattern[k]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /** Encodes a request with an optional JSON body. */
    static Buffer encode(final String method, final String path, final String hostHeader, final String json) {
        final StringBuilder b = new StringBuilder(128 + (json == null ? 0 : json.length()));
        b.append(method).append(' ').append(path).append(" HTTP/1.1\r\nHost: ").append(hostHeader).append("\r\n");
        if (json == null) {
            b.append("\r\n");
            return Buffer.buffer(b.toString().getBytes(StandardCharsets.ISO_8859_1));
        }
        final byte[] body = json.getBytes(StandardCharsets.UTF_8);
        b.append("Content-Type: application/json\r\nContent-Length: ").append(body.length).append("\r\n\r\n");
        return Buffer.buffer(b.toString().getBytes(StandardCharsets.ISO_8859_1)).appendBytes(body);
    }
}
