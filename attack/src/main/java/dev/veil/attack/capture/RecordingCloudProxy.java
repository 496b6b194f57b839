package dev.veil.attack.capture;

import dev.veil.http.Exchange;
import dev.veil.http.HttpService;
import dev.veil.talaria.client.Transport;
import dev.veil.talaria.cloud.V2Error;
import dev.veil.talaria.protocol.InferRequest;
import dev.veil.talaria.protocol.InferTensor;
import dev.veil.talaria.protocol.V2Codec;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
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
    private final HttpService http;
    private final Transport upstream;

    /** @param keep which keys ({@code in/embed}, {@code in/layer.0.qkv}, ...) to keep rows of; every call is logged */
    public RecordingCloudProxy(URI cloud, Predicate<String> keep) throws IOException {
        this.log = new SeamLog(keep);
        this.upstream = Transport.Kind.SOCKET.open(cloud);
        // on loopback, for one client: the bodies the cloud itself takes, whatever their size
        this.http = HttpService.on("127.0.0.1", 0, V2Error.SHAPE)
                .bodyLimit(Integer.MAX_VALUE - 8)
                .start(this::handle);
    }

    public URI uri() {
        return http.uri();
    }

    /** What the cloud received since the last call, as request {@code index}. */
    public Request take(int index) {
        return log.take(index, new int[0], new int[0]);
    }

    private void handle(Exchange ex) throws IOException, V2Error {
        byte[] body = ex.body();
        String path = ex.path();
        String len = ex.header(V2Codec.HEADER_LENGTH);
        Map<String, String> headers = new HashMap<>();
        if (len != null) headers.put(V2Codec.HEADER_LENGTH, len);
        String type = ex.header("Content-Type");
        if (type != null) headers.put("Content-Type", type);
        Transport.Reply reply;
        try {
            // relayed as is: the client behind this proxy bounds the reply itself
            reply = upstream.exchange(path, headers, ex.method().equals("GET") ? null : body, Integer.MAX_VALUE - 8);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new V2Error(503, "the recording proxy is stopping");
        }
        Matcher m = INFER.matcher(path);
        if (m.matches() && len != null && reply.status() == 200) {
            InferTensor x = InferRequest.decode(body, Integer.parseInt(len.trim()))
                    .inputs()
                    .getFirst();
            log.call(m.group(1), x.rows());
            log.rows("in/" + m.group(1), x.data(), x.rows(), x.cols());
        }
        reply.header(V2Codec.HEADER_LENGTH).ifPresent(v -> ex.setHeader(V2Codec.HEADER_LENGTH, v));
        ex.send(reply.status(), reply.header("Content-Type").orElse("application/octet-stream"), reply.body());
    }

    @Override
    public void close() {
        http.close(Duration.ZERO);
        upstream.close();
    }
}
