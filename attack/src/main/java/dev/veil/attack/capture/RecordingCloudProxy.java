package dev.veil.attack.capture;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.veil.talaria.client.Transport;
import dev.veil.talaria.protocol.InferRequest;
import dev.veil.talaria.protocol.InferTensor;
import dev.veil.talaria.protocol.V2Codec;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A recorder at the Talaria cloud's door: forwards every request to the cloud unchanged and records the rows of every
 * infer call as they arrived ({@code in/<product>}), in arrival order — exactly what the cloud received.
 */
public final class RecordingCloudProxy implements AutoCloseable {

    private static final Pattern INFER = Pattern.compile("^/v2/models/([^/]+)(?:/versions/1)?/infer$");

    private final SeamLog log;
    private final HttpServer http;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final Transport upstream;

    /** @param keep which keys ({@code in/embed}, {@code in/layer.0.qkv}, ...) to keep rows of; every call is logged */
    public RecordingCloudProxy(URI cloud, Predicate<String> keep) throws IOException {
        this.log = new SeamLog(keep);
        this.upstream = Transport.Kind.SOCKET.open(cloud);
        this.http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        http.setExecutor(executor);
        http.createContext("/", this::handle);
        http.start();
    }

    public URI uri() {
        return URI.create("http://127.0.0.1:" + http.getAddress().getPort());
    }

    /** What the cloud received since the last call, as request {@code index}. */
    public Request take(int index) {
        return log.take(index, new int[0], new int[0]);
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            byte[] body = ex.getRequestBody().readAllBytes();
            String path = ex.getRequestURI().getPath();
            String len = ex.getRequestHeaders().getFirst(V2Codec.HEADER_LENGTH);
            Map<String, String> headers = new HashMap<>();
            if (len != null) headers.put(V2Codec.HEADER_LENGTH, len);
            String type = ex.getRequestHeaders().getFirst("Content-Type");
            if (type != null) headers.put("Content-Type", type);
            Transport.Reply reply;
            try {
                // relayed as is: the client behind this proxy bounds the reply itself
                reply = upstream.exchange(
                        path, headers, ex.getRequestMethod().equals("GET") ? null : body, Integer.MAX_VALUE - 8);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                ex.sendResponseHeaders(503, -1);
                return;
            }
            Matcher m = INFER.matcher(path);
            if (m.matches() && len != null && reply.status() == 200) {
                InferTensor x = InferRequest.decode(body, Integer.parseInt(len.trim()))
                        .inputs()
                        .getFirst();
                log.call(m.group(1), x.rows());
                log.rows("in/" + m.group(1), x.data(), x.rows(), x.cols());
            }
            reply.header("Content-Type").ifPresent(v -> ex.getResponseHeaders().set("Content-Type", v));
            reply.header(V2Codec.HEADER_LENGTH)
                    .ifPresent(v -> ex.getResponseHeaders().set(V2Codec.HEADER_LENGTH, v));
            byte[] out = reply.body();
            ex.sendResponseHeaders(reply.status(), out.length == 0 ? -1 : out.length);
            try (OutputStream os = ex.getResponseBody()) {
                os.write(out);
            }
        }
    }

    @Override
    public void close() {
        http.stop(0);
        executor.shutdownNow();
        upstream.close();
    }
}
