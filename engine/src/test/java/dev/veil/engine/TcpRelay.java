package dev.veil.engine;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP relay on loopback to a local port that shows every byte, each way, to a tap before passing it on: the wire as
 * a network observer sees it, HTTP headers included (the gateway tests' recording proxy, the Talaria client's byte
 * count). It can sever every connection at once, as when the far side dies.
 */
public final class TcpRelay implements AutoCloseable {

    /** Sees one direction's bytes, in order, before they are passed on (called from that direction's thread). */
    public interface Tap {
        void bytes(byte[] buffer, int length);
    }

    private final ServerSocket listener;
    private final int targetPort;
    private final Tap towardsTarget;
    private final Tap towardsClient;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private volatile boolean refusing;

    /** Relays connections to {@code 127.0.0.1:targetPort}; {@code towardsTarget} sees requests, {@code towardsClient} replies. */
    public TcpRelay(int targetPort, Tap towardsTarget, Tap towardsClient) throws IOException {
        this.targetPort = targetPort;
        this.towardsTarget = towardsTarget;
        this.towardsClient = towardsClient;
        this.listener = new ServerSocket(0, 256, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().start(this::accept);
    }

    public URI uri() {
        return URI.create("http://127.0.0.1:" + listener.getLocalPort());
    }

    private void accept() {
        while (!listener.isClosed()) {
            Socket client;
            try {
                client = listener.accept();
            } catch (IOException e) {
                return; // closed
            }
            if (refusing) {
                closeQuietly(client);
                continue;
            }
            try {
                Socket target = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                client.setTcpNoDelay(true);
                target.setTcpNoDelay(true);
                sockets.add(client);
                sockets.add(target);
                Thread.ofVirtual().start(() -> pump(client, target, towardsTarget));
                Thread.ofVirtual().start(() -> pump(target, client, towardsClient));
            } catch (IOException e) {
                closeQuietly(client); // the target is gone: the client sees a closed connection
            }
        }
    }

    private static void pump(Socket from, Socket to, Tap tap) {
        byte[] buffer = new byte[1 << 16];
        try (InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream()) {
            for (int n; (n = in.read(buffer)) > 0; ) {
                tap.bytes(buffer, n);
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            // one side closed: this connection ends
        } finally {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    /** Cuts every open connection and refuses new ones: to the client, the target has died. */
    public void sever() {
        refusing = true;
        sockets.forEach(TcpRelay::closeQuietly);
    }

    @Override
    public void close() {
        closeQuietly(listener);
        sockets.forEach(TcpRelay::closeQuietly);
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // already closed
        }
    }
}
