package dev.veil.talaria.client;

import dev.veil.talaria.protocol.SpinningChannel;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedDeque;

/**
 * A minimal blocking HTTP/1.1 client for the cloud's two request shapes (GET, POST with a Content-Length body):
 * keep-alive sockets in a small pool, the whole exchange done on the calling thread, TCP_NODELAY so a request is not
 * held back by Nagle's algorithm, and a short poll for the reply before sleeping ({@link SpinningChannel}: a reply
 * that comes within the spin time costs no thread wake-up). A failure closes the socket and surfaces as an
 * {@link IOException} (the caller retries: calls are idempotent).
 *
 * <p>The cloud is untrusted, so what it sends is bounded before it is read: a reply needs a Content-Length no larger
 * than the caller's bound (what the product's shape needs), header lines are at most {@link #MAX_LINE} bytes and
 * {@link #MAX_HEADERS} in number, chunked bodies are refused. Those are {@link TalariaException}s: retrying would not help.
 */
final class SocketTransport implements Transport {

    private static final int TIMEOUT_MS = 120_000;
    static final int MAX_LINE = 8 * 1024;
    static final int MAX_HEADERS = 64;

    private final String host;
    private final int port;
    private final String hostHeader;
    private final long spinNanos;
    private final ConcurrentLinkedDeque<Connection> idle = new ConcurrentLinkedDeque<>();
    private volatile boolean closed;

    /** A keep-alive connection and its read buffer (which may hold bytes of a reply not yet consumed). */
    private static final class Connection {
        final SpinningChannel channel;
        ByteBuffer in = ByteBuffer.allocate(64 * 1024).flip();

        Connection(SpinningChannel channel) {
            this.channel = channel;
        }

        /** The next byte of the reply, reading more when the buffer is empty. */
        int read() throws IOException {
            if (!in.hasRemaining() && !fill()) return -1;
            return in.get() & 0xff;
        }

        /** Reads more into the buffer; false at the end of the stream. */
        boolean fill() throws IOException {
            in.compact();
            try {
                return channel.read(in, TIMEOUT_MS) >= 0;
            } finally {
                in.flip();
            }
        }

        /** Exactly {@code n} bytes of body. */
        byte[] readBytes(int n) throws IOException {
            byte[] b = new byte[n];
            int have = Math.min(n, in.remaining());
            in.get(b, 0, have);
            ByteBuffer rest = ByteBuffer.wrap(b, have, n - have);
            while (rest.hasRemaining())
                if (channel.read(rest, TIMEOUT_MS) < 0) throw new EOFException("reply body cut short");
            return b;
        }

        void close() {
            channel.close();
        }
    }

    SocketTransport(URI base) {
        this(base, DEFAULT_SPIN_NANOS);
    }

    /** @param spinNanos how long to poll for a reply before sleeping (0: never poll) */
    SocketTransport(URI base, long spinNanos) {
        if (!"http".equals(base.getScheme()))
            throw new IllegalArgumentException("the socket transport speaks plain http://, not " + base.getScheme());
        this.host = base.getHost();
        this.port = base.getPort() < 0 ? 80 : base.getPort();
        this.hostHeader = host + ":" + port;
        this.spinNanos = spinNanos;
    }

    /** No polling by default: on a 2-core machine shared with the cloud, a polling client took cores from the cloud's matmul (docs/talaria.md §2). */
    static final long DEFAULT_SPIN_NANOS = 0;

    @Override
    public Reply exchange(String path, Map<String, String> headers, byte[] body, int maxReplyBytes) throws IOException {
        if (closed) throw new IOException("transport closed");
        Connection pooled = idle.pollFirst();
        if (pooled != null) {
            try {
                return exchange(pooled, path, headers, body, maxReplyBytes);
            } catch (IOException e) {
                // the cloud closes connections idle past its timeout: the call is idempotent, so once more on a new one
            }
        }
        return exchange(connect(), path, headers, body, maxReplyBytes);
    }

    private Reply exchange(Connection c, String path, Map<String, String> headers, byte[] body, int maxReplyBytes)
            throws IOException {
        try {
            write(c, path, headers, body);
            Reply r = read(c, path, maxReplyBytes);
            if ("close".equalsIgnoreCase(r.headers().get("connection"))) c.close();
            else idle.addFirst(c);
            return r;
        } catch (IOException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    private Connection connect() throws IOException {
        SocketChannel ch = SocketChannel.open();
        try {
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            ch.socket().connect(new InetSocketAddress(host, port), 10_000);
            return new Connection(new SpinningChannel(ch, spinNanos));
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private void write(Connection c, String path, Map<String, String> headers, byte[] body) throws IOException {
        StringBuilder h = new StringBuilder(256);
        h.append(body == null ? "GET " : "POST ")
                .append(path)
                .append(" HTTP/1.1\r\nHost: ")
                .append(hostHeader)
                .append("\r\n");
        headers.forEach((k, v) -> h.append(k).append(": ").append(v).append("\r\n"));
        if (body != null) h.append("Content-Length: ").append(body.length).append("\r\n");
        h.append("\r\n");
        ByteBuffer head = ByteBuffer.wrap(h.toString().getBytes(StandardCharsets.ISO_8859_1));
        if (body == null) c.channel.write(head);
        else c.channel.write(head, ByteBuffer.wrap(body));
    }

    private static Reply read(Connection c, String path, int maxReplyBytes) throws IOException {
        String status = line(c);
        if (!status.startsWith("HTTP/1.")) throw new IOException("not an HTTP/1.x reply: '" + status + "'");
        int code;
        try {
            code = Integer.parseInt(status.split(" ", 3)[1]);
        } catch (RuntimeException e) {
            throw new IOException("bad HTTP status line: '" + status + "'");
        }
        Map<String, String> headers = new HashMap<>();
        int lines = 0;
        for (String l; !(l = line(c)).isEmpty(); ) {
            if (++lines > MAX_HEADERS)
                throw new TalariaException(
                        "the cloud's reply to " + path + " has over " + MAX_HEADERS + " headers: refused");
            int colon = l.indexOf(':');
            if (colon > 0)
                headers.put(
                        l.substring(0, colon).trim().toLowerCase(Locale.ROOT),
                        l.substring(colon + 1).trim());
        }
        if (headers.containsKey("transfer-encoding"))
            throw new TalariaException("the cloud's reply to " + path + " has Transfer-Encoding "
                    + headers.get("transfer-encoding") + ": refused (Veil's cloud sends a Content-Length)");
        String length = headers.get("content-length");
        if (length == null) return new Reply(code, headers, new byte[0]);
        if (!length.chars().allMatch(Character::isDigit) || length.isEmpty())
            throw new TalariaException(
                    "the cloud's reply to " + path + " has Content-Length '" + length + "': refused");
        long declared = length.length() > 18 ? Long.MAX_VALUE : Long.parseLong(length);
        if (declared > maxReplyBytes) throw Transport.tooLarge(path, declared, maxReplyBytes);
        return new Reply(code, headers, c.readBytes((int) declared));
    }

    /** One header line without its CRLF, at most {@link #MAX_LINE} bytes. */
    private static String line(Connection c) throws IOException {
        StringBuilder sb = new StringBuilder(64);
        for (int b; ; ) {
            b = c.read();
            if (b < 0) throw new EOFException("connection closed by the cloud");
            if (b == '\n') break;
            if (b != '\r') sb.append((char) b);
            if (sb.length() > MAX_LINE)
                throw new TalariaException("the cloud sent a reply header line over " + MAX_LINE + " bytes: refused");
        }
        return sb.toString();
    }

    @Override
    public void close() {
        closed = true;
        for (Connection c; (c = idle.pollFirst()) != null; ) c.close();
    }
}
