package dev.veil.talaria.client;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedDeque;

/**
 * A minimal blocking HTTP/1.1 client for the cloud's two request shapes (GET, POST with a Content-Length body):
 * keep-alive sockets in a small pool, the whole exchange done on the calling thread, TCP_NODELAY so a request is not
 * held back by Nagle's algorithm. Replies with Content-Length or chunked bodies. A failure closes the socket and
 * surfaces as an {@link IOException} (the caller retries: calls are idempotent).
 */
final class SocketTransport implements Transport {

    private static final int TIMEOUT_MS = 120_000;

    private final String host;
    private final int port;
    private final String hostHeader;
    private final ConcurrentLinkedDeque<Connection> idle = new ConcurrentLinkedDeque<>();
    private volatile boolean closed;

    private record Connection(Socket socket, InputStream in, OutputStream out) {
        void close() {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing a broken connection
            }
        }
    }

    SocketTransport(URI base) {
        if (!"http".equals(base.getScheme()))
            throw new IllegalArgumentException("the socket transport speaks plain http://, not " + base.getScheme());
        this.host = base.getHost();
        this.port = base.getPort() < 0 ? 80 : base.getPort();
        this.hostHeader = host + ":" + port;
    }

    @Override
    public Reply exchange(String path, Map<String, String> headers, byte[] body) throws IOException {
        if (closed) throw new IOException("transport closed");
        Connection c = idle.pollFirst();
        if (c == null) c = connect();
        try {
            write(c, path, headers, body);
            Reply r = read(c.in);
            if ("close".equalsIgnoreCase(r.headers().get("connection"))) c.close();
            else idle.addFirst(c);
            return r;
        } catch (IOException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    private Connection connect() throws IOException {
        Socket s = new Socket();
        s.setTcpNoDelay(true);
        s.connect(new InetSocketAddress(host, port), 10_000);
        s.setSoTimeout(TIMEOUT_MS);
        return new Connection(s, new BufferedInputStream(s.getInputStream(), 1 << 16), new BufferedOutputStream(s.getOutputStream(), 1 << 16));
    }

    private void write(Connection c, String path, Map<String, String> headers, byte[] body) throws IOException {
        StringBuilder h = new StringBuilder(256);
        h.append(body == null ? "GET " : "POST ").append(path).append(" HTTP/1.1\r\nHost: ").append(hostHeader).append("\r\n");
        headers.forEach((k, v) -> h.append(k).append(": ").append(v).append("\r\n"));
        if (body != null) h.append("Content-Length: ").append(body.length).append("\r\n");
        h.append("\r\n");
        c.out.write(h.toString().getBytes(StandardCharsets.ISO_8859_1));
        if (body != null) c.out.write(body);
        c.out.flush();
    }

    private static Reply read(InputStream in) throws IOException {
        String status = line(in);
        if (!status.startsWith("HTTP/1.")) throw new IOException("not an HTTP/1.x reply: '" + status + "'");
        int code;
        try {
            code = Integer.parseInt(status.split(" ", 3)[1]);
        } catch (RuntimeException e) {
            throw new IOException("bad HTTP status line: '" + status + "'");
        }
        Map<String, String> headers = new HashMap<>();
        for (String l; !(l = line(in)).isEmpty(); ) {
            int colon = l.indexOf(':');
            if (colon > 0) headers.put(l.substring(0, colon).trim().toLowerCase(Locale.ROOT), l.substring(colon + 1).trim());
        }
        byte[] body;
        String length = headers.get("content-length");
        if (length != null) {
            body = in.readNBytes(Integer.parseInt(length));
            if (body.length != Integer.parseInt(length)) throw new EOFException("reply body cut short");
        } else if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            for (int size; (size = Integer.parseInt(line(in).split(";")[0].trim(), 16)) > 0; line(in)) {
                byte[] chunk = in.readNBytes(size);
                if (chunk.length != size) throw new EOFException("reply chunk cut short");
                out.write(chunk);
            }
            while (!line(in).isEmpty()) {
                // trailers
            }
            body = out.toByteArray();
        } else {
            body = new byte[0];
        }
        return new Reply(code, headers, body);
    }

    /** One header line without its CRLF. */
    private static String line(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder(64);
        for (int b; ; ) {
            b = in.read();
            if (b < 0) throw new EOFException("connection closed by the cloud");
            if (b == '\n') break;
            if (b != '\r') sb.append((char) b);
        }
        return sb.toString();
    }

    @Override
    public void close() {
        closed = true;
        for (Connection c; (c = idle.pollFirst()) != null; ) c.close();
    }
}
