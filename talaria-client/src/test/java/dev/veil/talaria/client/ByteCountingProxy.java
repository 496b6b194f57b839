package dev.veil.talaria.client;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.util.concurrent.atomic.AtomicLong;

/** A TCP relay that counts every byte each way: the wire as the network sees it, HTTP headers included. */
final class ByteCountingProxy implements AutoCloseable {

    final AtomicLong upstream = new AtomicLong();
    final AtomicLong downstream = new AtomicLong();
    private final ServerSocket server;
    private final int targetPort;

    ByteCountingProxy(URI target) throws IOException {
        this.targetPort = target.getPort();
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().start(this::accept);
    }

    URI uri() {
        return URI.create("http://127.0.0.1:" + server.getLocalPort());
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                Socket cloud = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                client.setTcpNoDelay(true);
                cloud.setTcpNoDelay(true);
                Thread.ofVirtual().start(() -> pump(client, cloud, upstream));
                Thread.ofVirtual().start(() -> pump(cloud, client, downstream));
            } catch (IOException e) {
                return;
            }
        }
    }

    private static void pump(Socket from, Socket to, AtomicLong count) {
        byte[] buf = new byte[1 << 16];
        try (InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream()) {
            for (int n; (n = in.read(buf)) > 0; ) {
                out.write(buf, 0, n);
                out.flush();
                count.addAndGet(n);
            }
        } catch (IOException ignored) {
            // one side closed: the relay ends
        } finally {
            try {
                from.close();
                to.close();
            } catch (IOException ignored) {
                // already closed
            }
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
