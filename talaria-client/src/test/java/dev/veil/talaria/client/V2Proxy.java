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
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
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

    final List<Call> calls = new CopyOnWriteArrayList<>();
    private final URI target;
    private final Tamper tamper;
    private final HttpServer http;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    V2Proxy(URI target, Tamper tamper) throws IOException {
        this.target = target;
        this.tamper = tamper;
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
            var b = HttpRequest.newBuilder(target.resolve(ex.getRequestURI().getPath()));
            String len = ex.getRequestHeaders().getFirst(V2Codec.HEADER_LENGTH);
            if (len != null) b.header(V2Codec.HEADER_LENGTH, len);
            b.method(ex.getRequestMethod(), body.length == 0 ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
            HttpResponse<byte[]> resp;
            try {
                resp = client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            } catch (InterruptedException e) {
                throw new IOException(e);
            }
            byte[] out = resp.body();
            String outLen = resp.headers().firstValue(V2Codec.HEADER_LENGTH).orElse(null);
            if (len != null && outLen != null && resp.statusCode() == 200) {
                InferTensor sent = InferRequest.decode(body, Integer.parseInt(len)).inputs().getFirst();
                InferResponse r = InferResponse.decode(out, Integer.parseInt(outLen));
                InferTensor y = r.outputs().getFirst();
                float[] data = tamper == null ? y.data() : tamper.reply(r.modelName(), sent, y.data().clone());
                InferTensor replied = new InferTensor(y.name(), y.shape(), data);
                calls.add(new Call(r.modelName(), sent, replied));
                V2Codec.Body encoded = new InferResponse(r.modelName(), r.id(), List.of(replied)).encode();
                out = encoded.bytes();
                outLen = Integer.toString(encoded.jsonLength());
            }
            resp.headers().firstValue("Content-Type").ifPresent(v -> ex.getResponseHeaders().set("Content-Type", v));
            if (outLen != null) ex.getResponseHeaders().set(V2Codec.HEADER_LENGTH, outLen);
            ex.sendResponseHeaders(resp.statusCode(), out.length == 0 ? -1 : out.length);
            try (OutputStream os = ex.getResponseBody()) {
                os.write(out);
            }
        }
    }

    @Override
    public void close() {
        http.stop(0);
        executor.shutdownNow();
        client.close();
    }
}
