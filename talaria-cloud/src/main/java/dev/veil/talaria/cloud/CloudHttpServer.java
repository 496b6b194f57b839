package dev.veil.talaria.cloud;

import dev.veil.talaria.protocol.SpinningChannel;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * The cloud's HTTP/1.1 server: one platform thread per keep-alive connection reads a request, runs the handler and
 * writes the reply itself, so a call is served with no thread hand-off (the JDK's {@code HttpServer} passes every
 * exchange from its selector thread to an executor and back, two wake-ups per call); between requests the thread
 * polls briefly before sleeping ({@link SpinningChannel}). Requests need a Content-Length body (or none); chunked
 * request bodies get 411. TCP_NODELAY is on: a reply must not wait for the client's delayed ACK.
 *
 * <p>What a client can make it hold is bounded ({@link CloudServer.Limits}): a request head must arrive within the head timeout and
 * its body within the body timeout (deadlines, so a byte a second does not keep a connection), a connection with no
 * request waits the idle timeout, at most {@code maxConnections} are served (more get 503 and are closed), and a body
 * is read into a buffer that grows only as its bytes arrive, so a head announcing 67 MB and stalling costs 64 KiB, not
 * 67 MB. Heads are parsed strictly: CRLF line ends only, one unsigned Content-Length, no folded or malformed lines.
 */
final class CloudHttpServer implements AutoCloseable {

    /** A parsed request: method, path (no query), a header lookup by lower-cased name, body. */
    record Request(String method, String path, Function<String, String> headers, byte[] body) {
        /** A header's value, or null; names are case-insensitive. */
        String header(String name) {
            return headers.apply(name.toLowerCase(Locale.ROOT));
        }
    }

    /** A reply; {@code headers} are added to Content-Type and Content-Length. */
    record Reply(int status, String contentType, Map<String, String> headers, byte[] body) {}

    @FunctionalInterface
    interface Handler {
        Reply handle(Request request);
    }

    /** A request refused before its body was read: answered, then the connection is closed. */
    static final class Refusal extends Exception {
        final int status;

        Refusal(int status, String message) {
            super(message);
            this.status = status;
        }
    }

    private static final System.Logger LOG = System.getLogger(CloudHttpServer.class.getName());
    private static final int MAX_HEAD = 16 * 1024;
    private static final int BUFFER = 64 * 1024;
    private static final String TOKEN_PUNCTUATION = "!#$%&'*+-.^_`|~";

    private final ServerSocketChannel server;
    private final Handler handler;
    private final long maxBody;
    private final long spinNanos;
    private final CloudServer.Limits limits;
    private final Thread acceptor;
    private final Set<SpinningChannel> connections = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    /**
     * @param errorReply how a refusal (bad head, body too large) is answered: status and message to a reply
     */
    CloudHttpServer(
            String host,
            int port,
            long maxBody,
            long spinNanos,
            CloudServer.Limits limits,
            Handler handler,
            BiFunction<Integer, String, Reply> errorReply)
            throws IOException {
        this.server = ServerSocketChannel.open();
        this.server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        this.server.bind(new InetSocketAddress(host, port), 256);
        this.handler = handler;
        this.maxBody = maxBody;
        this.spinNanos = spinNanos;
        this.limits = limits;
        this.errorReply = errorReply;
        this.acceptor =
                Thread.ofPlatform().daemon().name("talaria-cloud-accept").unstarted(this::acceptLoop);
    }

    private final BiFunction<Integer, String, Reply> errorReply;

    void start() {
        acceptor.start();
    }

    int port() {
        return ((InetSocketAddress) server.socket().getLocalSocketAddress()).getPort();
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                SocketChannel ch = server.accept();
                if (connections.size() >= limits.maxConnections()) {
                    refuse(ch);
                    continue;
                }
                ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                SpinningChannel c = new SpinningChannel(ch, spinNanos);
                connections.add(c);
                Thread.ofPlatform().daemon().name("talaria-cloud-conn").start(() -> serve(c));
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                if (!closed) LOG.log(System.Logger.Level.WARNING, "accept failed: {0}", e.getMessage());
            }
        }
    }

    /** Over the connection cap: a 503 written without waiting (a fresh socket's send buffer takes it), then closed. */
    private void refuse(SocketChannel ch) {
        try (ch) {
            ch.configureBlocking(false);
            Reply r = errorReply.apply(
                    503, "the cloud serves " + limits.maxConnections() + " connections at most; retry later");
            ch.write(new ByteBuffer[] {ByteBuffer.wrap(head(r, true)), ByteBuffer.wrap(r.body())});
        } catch (IOException e) {
            // it went away: nothing to refuse
        }
    }

    /** Requests on one connection until the client closes it, asks to, or sends something unusable. */
    private void serve(SpinningChannel c) {
        ByteBuffer in = ByteBuffer.allocate(BUFFER);
        try (c) {
            for (boolean first = true; !closed; first = false) {
                Request r;
                try {
                    r = readRequest(c, in, first);
                } catch (Refusal e) {
                    write(c, errorReply.apply(e.status, e.getMessage()), true);
                    return;
                }
                if (r == null) return;
                boolean close = "close".equalsIgnoreCase(r.header("connection"));
                write(c, handler.handle(r), close);
                if (close) return;
            }
        } catch (SocketTimeoutException e) {
            // idle past the timeout, or too slow sending a request: closed
        } catch (IOException e) {
            // the client went away or the server is closing: nothing to answer
        } finally {
            connections.remove(c);
        }
    }

    /**
     * The next request, or null when the client closed the connection between requests. A new connection's first
     * request must come within the head timeout; between requests the idle timeout applies.
     */
    private Request readRequest(SpinningChannel c, ByteBuffer in, boolean first) throws IOException, Refusal {
        int headEnd;
        long headDeadline = in.position() == 0 && !first
                ? 0
                : System.nanoTime() + limits.headTimeout().toNanos();
        while ((headEnd = headEnd(in)) < 0) {
            if (in.position() >= MAX_HEAD) throw new Refusal(431, "request head exceeds " + MAX_HEAD + " bytes");
            long wait = headDeadline == 0 ? limits.idleTimeout().toMillis() : left(headDeadline);
            if (c.read(in, wait) < 0) {
                if (in.position() == 0) return null;
                throw new IOException("connection closed in a request head");
            }
            if (headDeadline == 0)
                headDeadline = System.nanoTime() + limits.headTimeout().toNanos(); // a head has begun
        }
        String head = new String(in.array(), 0, headEnd, StandardCharsets.ISO_8859_1);
        String[] lines = head.split("\r\n", -1);
        String[] requestLine = lines[0].split(" ", -1);
        if (requestLine.length != 3
                || requestLine[0].isEmpty()
                || !requestLine[1].startsWith("/")
                || !(requestLine[2].equals("HTTP/1.1") || requestLine[2].equals("HTTP/1.0")))
            throw new Refusal(400, "not an HTTP/1.x request line: '" + clip(lines[0]) + "'");
        Map<String, String> headers = new HashMap<>();
        for (int i = 1; i < lines.length; i++) {
            String line = lines[i];
            int colon = line.indexOf(':');
            if (colon <= 0 || !isToken(line, colon)) // also folded lines, "Name :", bare CR
            throw new Refusal(400, "malformed header line: '" + clip(line) + "'");
            String name = line.substring(0, colon).toLowerCase(Locale.ROOT),
                    value = line.substring(colon + 1).strip();
            if (headers.put(name, value) != null
                    && (name.equals("content-length") || name.equals("transfer-encoding") || name.equals("host")))
                throw new Refusal(400, "duplicate " + name + " header");
        }
        if (headers.containsKey("transfer-encoding"))
            throw new Refusal(411, "send the body with a Content-Length (Transfer-Encoding is not accepted)");
        String declared = headers.getOrDefault("content-length", "0");
        if (declared.isEmpty()
                || !declared.chars().allMatch(ch -> ch >= '0' && ch <= '9')) // one unsigned number (RFC 9110)
        throw new Refusal(400, "Content-Length must be one unsigned decimal number, got '" + clip(declared) + "'");
        long length = declared.length() > 18 ? Long.MAX_VALUE : Long.parseLong(declared);
        if (length > maxBody)
            throw new Refusal(413, "request body of " + declared + " bytes exceeds the limit of " + maxBody);
        if ("100-continue".equalsIgnoreCase(headers.get("expect")))
            c.write(ByteBuffer.wrap("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1)));
        int start = headEnd + 4, buffered = in.position() - start;
        int fromBuffer = (int) Math.min(buffered, length);
        // the body's buffer grows as its bytes arrive: a head that announces a large body and stalls holds little
        byte[] body = new byte[(int) Math.min(length, Math.max(fromBuffer, BUFFER))];
        System.arraycopy(in.array(), start, body, 0, fromBuffer);
        long bodyDeadline = System.nanoTime() + limits.bodyTimeout().toNanos();
        ByteBuffer rest = ByteBuffer.wrap(body, fromBuffer, body.length - fromBuffer);
        for (int got = fromBuffer; got < length; ) {
            if (!rest.hasRemaining()) {
                body = Arrays.copyOf(body, (int) Math.min(length, 2L * body.length));
                rest = ByteBuffer.wrap(body, got, body.length - got);
            }
            int n = c.read(rest, left(bodyDeadline));
            if (n < 0) throw new IOException("connection closed in a request body");
            got += n;
        }
        // keep any bytes of a pipelined next request
        int after = start + fromBuffer;
        in.limit(in.position()).position(after);
        in.compact();
        String path = requestLine[1];
        int query = path.indexOf('?');
        return new Request(requestLine[0], query < 0 ? path : path.substring(0, query), headers::get, body);
    }

    /** Milliseconds left until {@code deadline} (System.nanoTime), at least 1: a read's timeout. */
    private static long left(long deadline) throws SocketTimeoutException {
        long ms = (deadline - System.nanoTime()) / 1_000_000;
        if (ms < 1) throw new SocketTimeoutException("request not received in time");
        return ms;
    }

    /** Index of the blank line's CRLFCRLF in what has been read, or -1; a bare LF is refused (it would never end). */
    private static int headEnd(ByteBuffer in) throws Refusal {
        byte[] a = in.array();
        for (int i = 0, end = in.position(); i < end; i++) {
            if (a[i] != '\n') continue;
            if (i == 0 || a[i - 1] != '\r')
                throw new Refusal(400, "request head lines must end with CRLF, not a bare LF");
            if (i >= 3 && a[i - 3] == '\r' && a[i - 2] == '\n') return i - 3;
        }
        return -1;
    }

    /** Whether {@code line}'s first {@code end} characters are an RFC 9110 token (a header name); no regex on the hot path. */
    private static boolean isToken(String line, int end) {
        for (int i = 0; i < end; i++) {
            char ch = line.charAt(i);
            if (!(ch >= 'a' && ch <= 'z'
                    || ch >= 'A' && ch <= 'Z'
                    || ch >= '0' && ch <= '9'
                    || TOKEN_PUNCTUATION.indexOf(ch) >= 0)) return false;
        }
        return true;
    }

    private static String clip(String s) {
        return s.length() <= 80 ? s : s.substring(0, 80) + "...";
    }

    private static void write(SpinningChannel c, Reply r, boolean close) throws IOException {
        c.write(ByteBuffer.wrap(head(r, close)), ByteBuffer.wrap(r.body()));
    }

    private static byte[] head(Reply r, boolean close) {
        StringBuilder h = new StringBuilder(160);
        h.append("HTTP/1.1 ")
                .append(r.status())
                .append(' ')
                .append(reason(r.status()))
                .append("\r\n")
                .append("Content-Type: ")
                .append(r.contentType())
                .append("\r\n")
                .append("Content-Length: ")
                .append(r.body().length)
                .append("\r\n");
        r.headers().forEach((k, v) -> h.append(k).append(": ").append(v).append("\r\n"));
        if (close) h.append("Connection: close\r\n");
        h.append("\r\n");
        return h.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    private static String reason(int status) {
        return switch (status) {
            case 200 -> "OK";
            case 400 -> "Bad Request";
            case 404 -> "Not Found";
            case 411 -> "Length Required";
            case 413 -> "Content Too Large";
            case 431 -> "Request Header Fields Too Large";
            case 503 -> "Service Unavailable";
            default -> "Status";
        };
    }

    /** Stops accepting and closes every connection: calls in flight fail (clients retry them). */
    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        for (SpinningChannel c : connections) c.close();
    }
}
