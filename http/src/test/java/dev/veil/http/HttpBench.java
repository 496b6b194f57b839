package dev.veil.http;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The measurements behind the choice of HTTP library (http/README.md), not a test: {@code java -cp ... HttpBench netty|jdk}.
 * Per-call latency of a small JSON POST on a kept-alive loopback connection, the resident memory and threads that 110
 * stalled connections cost, and how long a blocked handler takes to learn that its client went away.
 */
public final class HttpBench {

    public static void main(String[] args) throws Exception {
        String kind = args[0];
        CountDownLatch gone = new CountDownLatch(1);
        CountDownLatch entered = new CountDownLatch(1);
        AutoCloseable server;
        int port;
        if (kind.equals("netty")) {
            HttpService s = HttpService.on("127.0.0.1", 0, (st, m) -> new HttpError(st, "e", m, null, st))
                    .bodyLimit(16 << 20)
                    .start(ex -> {
                        if (ex.path().equals("/hang")) {
                            ex.onClientGone(gone::countDown);
                            entered.countDown();
                            gone.await(30, TimeUnit.SECONDS);
                            return;
                        }
                        ex.send(200, "application/json", ex.body());
                    });
            server = s;
            port = s.port();
        } else {
            HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 1024);
            s.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
            s.createContext("/", ex -> {
                byte[] body;
                try (InputStream in = ex.getRequestBody()) {
                    body = in.readNBytes(16 << 20);
                }
                if (ex.getRequestURI().getPath().equals("/hang")) { // no disconnect signal: poll what little there is
                    entered.countDown();
                    try {
                        gone.await(30, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    ex.close();
                    return;
                }
                ex.getResponseHeaders().set("Content-Type", "application/json");
                ex.sendResponseHeaders(200, body.length);
                ex.getResponseBody().write(body);
                ex.close();
            });
            s.start();
            server = () -> s.stop(0);
            port = s.getAddress().getPort();
        }
        URI uri = URI.create("http://127.0.0.1:" + port + "/echo");
        HttpClient client =
                HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        String json =
                "{\"model\": \"m\", \"prompt\": [1, 2, 3, 4, 5, 6, 7, 8], \"max_tokens\": 16, \"temperature\": 0}";
        HttpRequest post = HttpRequest.newBuilder(uri)
                .POST(HttpRequest.BodyPublishers.ofString(json))
                .build();
        for (int i = 0; i < 3000; i++) client.send(post, HttpResponse.BodyHandlers.ofByteArray());
        long[] t = new long[5000];
        for (int i = 0; i < t.length; i++) {
            long t0 = System.nanoTime();
            client.send(post, HttpResponse.BodyHandlers.ofByteArray());
            t[i] = System.nanoTime() - t0;
        }
        Arrays.sort(t);
        System.out.printf(
                "%s: per call median %.0f us, p90 %.0f us, p99 %.0f us%n",
                kind, t[t.length / 2] / 1e3, t[t.length * 9 / 10] / 1e3, t[t.length * 99 / 100] / 1e3);

        System.gc();
        Thread.sleep(500);
        long rss0 = status("VmRSS:");
        long threads0 = status("Threads:");
        List<Socket> stalled = new ArrayList<>();
        for (int i = 0; i < 110; i++) {
            Socket s = new Socket("127.0.0.1", port);
            s.getOutputStream()
                    .write(("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n\r\n" + "x".repeat(1000))
                            .getBytes(StandardCharsets.US_ASCII));
            stalled.add(s);
        }
        Thread.sleep(1000);
        System.out.printf(
                "%s: 110 stalled connections: +%.1f MB RSS, +%d threads%n",
                kind, (status("VmRSS:") - rss0) / 1024.0, status("Threads:") - threads0);
        for (Socket s : stalled) s.close();

        Socket hang = new Socket("127.0.0.1", port);
        hang.getOutputStream().write("GET /hang HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        entered.await();
        long c0 = System.nanoTime();
        hang.close();
        boolean seen = gone.await(3, TimeUnit.SECONDS);
        System.out.printf(
                "%s: a blocked handler learns its client left: %s%n",
                kind,
                seen
                        ? String.format("after %.2f ms", (System.nanoTime() - c0) / 1e6)
                        : "not within 3 s (no signal before a write)");
        gone.countDown();
        server.close();
        System.exit(0);
    }

    /** A number from /proc/self/status (kB for memory lines). */
    static long status(String key) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status")))
            if (line.startsWith(key)) return Long.parseLong(line.replaceAll("[^0-9]", ""));
        throw new IOException("no " + key);
    }
}
