package dev.veil.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.net.SocketFactory;

/**
 * HTTP/1.1 written byte by byte on a socket, for what well-behaved clients never send: foreign Host headers, heads that
 * stall, bodies shorter than their Content-Length. Every read waits at most {@link #READ_LIMIT_MS}.
 */
public final class RawHttp {

    /** The longest a test waits on one read before it counts as "nothing came". */
    public static final int READ_LIMIT_MS = 20_000;

    private RawHttp() {}

    /** A status line and the text after the head, of a server that answered and closed or kept the connection. */
    public record Reply(int status, String head, String body) {}

    /** Sends {@code request} (a whole request, head and body) on a new connection and reads the answer. */
    public static Reply exchange(URI server, String request) throws IOException {
        try (Socket s = open(server)) {
            s.getOutputStream().write(request.getBytes(StandardCharsets.UTF_8));
            s.getOutputStream().flush();
            return read(s);
        }
    }

    public static Socket open(URI server) throws IOException {
        return open(server, SocketFactory.getDefault());
    }

    /** A connection from {@code sockets}: an {@code SSLSocketFactory} for a server on TLS (the handshake on first use). */
    public static Socket open(URI server, SocketFactory sockets) throws IOException {
        Socket s = sockets.createSocket(server.getHost(), server.getPort());
        s.setSoTimeout(READ_LIMIT_MS);
        return s;
    }

    /** Reads one reply: the head, then Content-Length bytes of body (or up to the close). */
    public static Reply read(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) throw new IOException("the server closed the connection without a complete reply: " + head);
            head.write(b);
        }
        String h = head.toString(StandardCharsets.ISO_8859_1);
        int status = Integer.parseInt(h.substring(9, 12));
        int length = -1;
        for (String line : h.split("\r\n"))
            if (line.toLowerCase().startsWith("content-length:"))
                length = Integer.parseInt(line.substring(15).strip());
        byte[] body = length >= 0 ? in.readNBytes(length) : new byte[0];
        return new Reply(status, h, new String(body, StandardCharsets.UTF_8));
    }

    /**
     * Whether the server has closed {@code s}: true once a read sees the end of the stream (or a reset), false when
     * nothing comes within the read limit.
     */
    public static boolean closedByServer(Socket s) throws IOException {
        try {
            while (s.getInputStream().read() >= 0) {
                // an error reply before the close is fine
            }
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // reset
        }
    }

    /** {@code count} connections that each send {@code head} and then nothing more. */
    public static List<Socket> stalled(URI server, int count, String head) throws IOException {
        return stalled(server, count, head, SocketFactory.getDefault());
    }

    /** As {@link #stalled(URI, int, String)}, on connections from {@code factory} (TLS: each handshakes, then stalls). */
    public static List<Socket> stalled(URI server, int count, String head, SocketFactory factory) throws IOException {
        List<Socket> sockets = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Socket s = open(server, factory);
            s.getOutputStream().write(head.getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
            sockets.add(s);
        }
        return sockets;
    }

    /**
     * Sends {@code request} one byte every {@code everyMs} until the server cuts the connection off or all is sent;
     * returns how many bytes went out before the server closed it (all of them if it never did).
     */
    public static int trickle(URI server, String request, long everyMs) throws IOException, InterruptedException {
        return trickle(server, request, everyMs, SocketFactory.getDefault());
    }

    /** As {@link #trickle(URI, String, long)}, on a connection from {@code factory} (TLS: a record per byte). */
    public static int trickle(URI server, String request, long everyMs, SocketFactory factory)
            throws IOException, InterruptedException {
        byte[] bytes = request.getBytes(StandardCharsets.ISO_8859_1);
        try (Socket s = open(server, factory)) {
            for (int i = 0; i < bytes.length; i++) {
                try {
                    s.getOutputStream().write(bytes[i]);
                    s.getOutputStream().flush();
                } catch (IOException e) {
                    return i; // reset: the server closed it
                }
                if (s.getInputStream().available() > 0 || closedWithin(s, everyMs)) return i + 1;
            }
            return bytes.length;
        }
    }

    /** Whether the server closes {@code s} within {@code ms} (a read that sees the end of the stream or a reset). */
    private static boolean closedWithin(Socket s, long ms) throws IOException {
        int before = s.getSoTimeout();
        s.setSoTimeout((int) Math.max(1, ms));
        try {
            return s.getInputStream().read() < 0;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        } finally {
            s.setSoTimeout(before);
        }
    }

    /** The abuse suite's bound on what 110 stalled connections may cost a server: 256 MB of RSS. */
    public static final long STALLED_RSS_LIMIT = 256L << 20;

    /** This process's resident set (VmRSS in /proc/self/status), in bytes: what a server in it costs the machine. */
    public static long residentBytes() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status")))
            if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        throw new IOException("no VmRSS in /proc/self/status");
    }

    /** Reads a server-sent event stream up to its first {@code data:} (the request is running); fails if it closes first. */
    public static void awaitFirstEvent(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        StringBuilder seen = new StringBuilder();
        while (seen.indexOf("data: ") < 0) {
            int b = in.read();
            if (b < 0) throw new IOException("closed before its first event: " + seen);
            seen.append((char) b);
        }
    }

    /** Reads a server-sent event stream to its end (the server closes it) and returns its last {@code data:} line. */
    public static String lastEvent(Socket s) throws IOException {
        var in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
        String last = "";
        for (String line; (line = in.readLine()) != null; ) if (line.startsWith("data: ")) last = line;
        return last;
    }

    /** A step of a test that may throw. */
    public interface Step {
        void run() throws Exception;
    }

    /** Opens a group of stalled connections. */
    public interface Opener {
        List<Socket> open() throws IOException;
    }

    /**
     * The stalled-connections check every service passes, for a JSON POST route: 80 connections that declare a 1 MiB
     * body on {@code path} and send only {@code bodyStart}, and 30 that stop in the middle of the head.
     */
    public static void assertStalledConnectionsAreCheapAndClosed(
            URI server, String path, String bodyStart, String who, Step wellBehaved) throws Exception {
        assertStalledConnectionsAreCheapAndClosed(
                who,
                wellBehaved,
                () -> stalled(
                        server,
                        80,
                        "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                                + "Content-Length: 1048576\r\n\r\n" + bodyStart),
                () -> stalled(server, 30, "POST " + path + " HTTP/1.1\r\nHost: 12"));
    }

    /**
     * The abuse suite's check on a server: the connections {@code groups} open (110 of them) cost at most
     * {@link #STALLED_RSS_LIMIT} of resident memory together, the server closes every one after its request timeout,
     * and {@code wellBehaved} (a normal request that asserts its own success) is served before, meanwhile and after.
     * Prints the figure for the report, named by {@code who}.
     */
    public static void assertStalledConnectionsAreCheapAndClosed(String who, Step wellBehaved, Opener... groups)
            throws Exception {
        List<Socket> stalled = new ArrayList<>();
        try {
            wellBehaved.run();
            long before = residentBytes();
            for (Opener g : groups) stalled.addAll(g.open());
            wellBehaved.run();
            long extra = residentBytes() - before;
            System.out.printf("%s: %d stalled connections, extra RSS %.1f MB%n", who, stalled.size(), extra / 1e6);
            assertThat(extra)
                    .as("extra RSS with " + stalled.size() + " stalled connections")
                    .isLessThanOrEqualTo(STALLED_RSS_LIMIT);
            for (Socket s : stalled)
                assertThat(closedByServer(s))
                        .as("a stalled connection is closed")
                        .isTrue();
            wellBehaved.run();
        } finally {
            for (Socket s : stalled) s.close();
        }
    }
}
