package dev.veil.talaria.cloud;

import dev.veil.talaria.protocol.SpinningChannel;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The cloud's HTTP/1.1 server: one platform thread per keep-alive connection reads a request, runs the handler and
 * writes the reply itself, so a call is served with no thread hand-off (the JDK's {@code HttpServer} passes every
 * exchange from its selector thread to an executor and back, two wake-ups per call); between requests the thread
 * polls briefly before sleeping ({@link SpinningChannel}). Requests need a Content-Length body (or none); chunked
 * request bodies get 411. TCP_NODELAY is on: a reply must not wait for the client's delayed ACK.
 */
final class CloudHttpServer implements AutoCloseable {

    /** A parsed request: method, path (no query), headers with lower-cased names, body. */
    record Request(String method, String path, Map<String, String> headers, byte[] body) {
        String header(String name) {
            return headers.get(name);
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

    private final ServerSocketChannel server;
    private final Handler handler;
    private final long maxBody;
    private final long spinNanos;
    private final Thread acceptor;
    private final Set<SpinningChannel> connections = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    /**
     * @param errorReply how a refusal (bad head, body too large) is answered: status and message to a reply
     */
    CloudHttpServer(String host, int port, long maxBody, long spinNanos, Handler handler,
                    java.util.function.BiFunction<Integer, String, Reply> errorReply) throws IOException {
        this.server = ServerSocketChannel.open();
        this.server.setOption(java.net.StandardSocketOptions.SO_REUSEADDR, true);
        this.server.bind(new InetSocketAddress(host, port), 256);
        this.handler = handler;
        this.maxBody = maxBody;
        this.spinNanos = spinNanos;
        this.errorReply = errorReply;
        this.acceptor = Thread.ofPlatform().daemon().name("talaria-cloud-accept").unstarted(this::acceptLoop);
    }

    private final java.util.function.BiFunction<Integer, String, Reply> errorReply;

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
                ch.setOption(java.net.StandardSocketOptions.TCP_NODELAY, true);
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

    /** Requests on one connection until the client closes it, asks to, or sends something unusable. */
    private void serve(SpinningChannel c) {
        ByteBuffer in = ByteBuffer.allocate(64 * 1024);
        try (c) {
            while (!closed) {
                Request r;
                try {
                    r = readRequest(c, in);
                } catch (Refusal e) {
                    write(c, errorReply.apply(e.status, e.getMessage()), true);
                    return;
                }
                if (r == null) return;
                boolean close = "close".equalsIgnoreCase(r.header("connection"));
                write(c, handler.handle(r), close);
                if (close) return;
            }
        } catch (IOException e) {
            // the client went away or the server is closing: nothing to answer
        } finally {
            connections.remove(c);
        }
    }

    /** The next request, or null when the client closed the connection between requests. */
    private Request readRequest(SpinningChannel c, ByteBuffer in) throws IOException, Refusal {
        int headEnd;
        while ((headEnd = headEnd(in)) < 0) {
            if (in.position() >= MAX_HEAD) throw new Refusal(431, "request head exceeds " + MAX_HEAD + " bytes");
            if (c.read(in, 0) < 0) {
                if (in.position() == 0) return null;
                throw new IOException("connection closed in a request head");
            }
        }
        String head = new String(in.array(), 0, headEnd, StandardCharsets.ISO_8859_1);
        String[] lines = head.split("\r\n");
        String[] requestLine = lines[0].split(" ");
        if (requestLine.length != 3 || !requestLine[2].startsWith("HTTP/1."))
            throw new Refusal(400, "not an HTTP/1.x request line: '" + lines[0] + "'");
        Map<String, String> headers = new HashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon <= 0) throw new Refusal(400, "malformed header line: '" + lines[i] + "'");
            headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
        }
        if (headers.containsKey("transfer-encoding"))
            throw new Refusal(411, "send the body with a Content-Length (Transfer-Encoding is not accepted)");
        long length;
        try {
            length = Long.parseLong(headers.getOrDefault("content-length", "0"));
        } catch (NumberFormatException e) {
            throw new Refusal(400, "Content-Length is not a number: '" + headers.get("content-length") + "'");
        }
        if (length < 0) throw new Refusal(400, "negative Content-Length");
        if (length > maxBody) throw new Refusal(413, "request body of " + length + " bytes exceeds the limit of " + maxBody);
        if ("100-continue".equalsIgnoreCase(headers.get("expect")))
            c.write(ByteBuffer.wrap("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1)));
        byte[] body = new byte[(int) length];
        int start = headEnd + 4, buffered = in.position() - start;
        int fromBuffer = (int) Math.min(buffered, length);
        System.arraycopy(in.array(), start, body, 0, fromBuffer);
        ByteBuffer rest = ByteBuffer.wrap(body, fromBuffer, body.length - fromBuffer);
        while (rest.hasRemaining())
            if (c.read(rest, 0) < 0) throw new IOException("connection closed in a request body");
        // keep any bytes of a pipelined next request
        int after = start + fromBuffer;
        in.limit(in.position()).position(after);
        in.compact();
        String path = requestLine[1];
        int query = path.indexOf('?');
        return new Request(requestLine[0], query < 0 ? path : path.substring(0, query), headers, body);
    }

    /** Index of the blank line's CRLFCRLF in what has been read, or -1. */
    private static int headEnd(ByteBuffer in) {
        byte[] a = in.array();
        for (int i = 0, end = in.position() - 3; i < end; i++)
            if (a[i] == '\r' && a[i + 1] == '\n' && a[i + 2] == '\r' && a[i + 3] == '\n') return i;
        return -1;
    }

    private static void write(SpinningChannel c, Reply r, boolean close) throws IOException {
        StringBuilder h = new StringBuilder(160);
        h.append("HTTP/1.1 ").append(r.status()).append(' ').append(reason(r.status())).append("\r\n")
                .append("Content-Type: ").append(r.contentType()).append("\r\n")
                .append("Content-Length: ").append(r.body().length).append("\r\n");
        r.headers().forEach((k, v) -> h.append(k).append(": ").append(v).append("\r\n"));
        if (close) h.append("Connection: close\r\n");
        h.append("\r\n");
        c.write(ByteBuffer.wrap(h.toString().getBytes(StandardCharsets.ISO_8859_1)), ByteBuffer.wrap(r.body()));
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
