package dev.veil.talaria.client;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.veil.talaria.protocol.InferRequest;
import dev.veil.talaria.protocol.InferResponse;
import dev.veil.talaria.protocol.InferTensor;
import dev.veil.talaria.protocol.V2Codec;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A man in the middle at the cloud's door: forwards every V2 call to the real cloud, records what crossed (the view
 * of anyone who can read the cloud's traffic, the cloud itself included) and can tamper with the replies (a cheating
 * cloud).
 */
final class V2Proxy implements AutoCloseable {

    /** One infer call as seen on the wire. */
    record Call(String model, InferTensor sent, InferTensor received) {}

    /** Rewrites a reply; gets the model name, the rows sent and the rows the cloud returned. */
    interface Tamper {
        float[] reply(String model, InferTensor sent, float[] received);
    }

    /** One per tensor sent (a batched expert call adds one per expert). */
    final List<Call> calls = new CopyOnWriteArrayList<>();
    /** The model of each infer request, in order. */
    final List<String> requests = new CopyOnWriteArrayList<>();

    private final Tamper tamper;
    private final HttpServer http;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final SocketTransport upstream;

    V2Proxy(URI target, Tamper tamper) throws IOException {
        this.tamper = tamper;
        this.upstream = new SocketTransport(target);
        http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        http.setExecutor(executor);
        http.createContext("/", this::handle);
        http.start();
    }

    URI uri() {
        return URI.create("http://127.0.0.1:" + http.getAddress().getPort());
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            byte[] body = ex.getRequestBody().readAllBytes();
            Map<String, String> headers = new HashMap<>();
            String len = ex.getRequestHeaders().getFirst(V2Codec.HEADER_LENGTH);
            if (len != null) headers.put(V2Codec.HEADER_LENGTH, len);
            Transport.Reply resp = upstream.exchange(
                    ex.getRequestURI().getPath(),
                    headers,
                    ex.getRequestMethod().equals("GET") ? null : body,
                    Integer.MAX_VALUE - 8);
            byte[] out = resp.body();
            String outLen = resp.header(V2Codec.HEADER_LENGTH).orElse(null);
            if (len != null && outLen != null && resp.status() == 200) {
                List<InferTensor> inputs =
                        InferRequest.decode(body, Integer.parseInt(len)).inputs();
                InferResponse r = InferResponse.decode(out, Integer.parseInt(outLen));
                // a batched expert call carries a tensor per expert, in the same order both ways: a Call each
                List<InferTensor> replies = new ArrayList<>();
                for (int i = 0; i < inputs.size(); i++) {
                    InferTensor sent = inputs.get(i), y = r.outputs().get(i);
                    float[] data = tamper == null
                            ? y.data()
                            : tamper.reply(r.modelName(), sent, y.data().clone());
                    InferTensor replied = new InferTensor(y.name(), y.shape(), data);
                    calls.add(new Call(r.modelName(), sent, replied));
                    replies.add(replied);
                }
                requests.add(r.modelName());
                V2Codec.Body encoded = new InferResponse(r.modelName(), r.id(), replies).encode();
                out = encoded.bytes();
                outLen = Integer.toString(encoded.jsonLength());
            }
            resp.header("Content-Type").ifPresent(v -> ex.getResponseHeaders().set("Content-Type", v));
            if (outLen != null) ex.getResponseHeaders().set(V2Codec.HEADER_LENGTH, outLen);
            ex.sendResponseHeaders(resp.status(), out.length == 0 ? -1 : out.length);
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
