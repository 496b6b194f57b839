package dev.veil.talaria.cloud;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.engine.kernel.Parallel;
import dev.veil.model.ModelConfig;
import dev.veil.talaria.protocol.InferRequest;
import dev.veil.talaria.protocol.InferResponse;
import dev.veil.talaria.protocol.InferTensor;
import dev.veil.talaria.protocol.ModelName;
import dev.veil.talaria.protocol.Product;
import dev.veil.talaria.protocol.V2Codec;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The weight service over a real loopback socket, spoken to as any KServe V2 client would. */
class CloudServerTest {

    static final ModelConfig C = TinyModels.qwen2();
    static FoldedModel model;
    static CloudServer server;
    static final HttpClient HTTP =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void start() throws Exception {
        model = FoldedModel.fold(C, TinyModels.random(C, 3));
        server = CloudServer.start(model, CloudServer.Options.loopback(0));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static HttpResponse<byte[]> post(String path, V2Codec.Body body) throws Exception {
        return post(server, path, body);
    }

    static HttpResponse<byte[]> post(CloudServer server, String path, V2Codec.Body body) throws Exception {
        var b = HttpRequest.newBuilder(server.uri().resolve(path)).header("Content-Type", V2Codec.CONTENT_TYPE);
        if (body.jsonLength() >= 0) b.header(V2Codec.HEADER_LENGTH, Integer.toString(body.jsonLength()));
        return HTTP.send(
                b.POST(HttpRequest.BodyPublishers.ofByteArray(body.bytes())).build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    static HttpResponse<String> get(String path) throws Exception {
        return get(server, path);
    }

    static HttpResponse<String> get(CloudServer server, String path) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(server.uri().resolve(path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static float[] random(int n, long seed) {
        Random r = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) r.nextGaussian();
        return x;
    }

    static V2Codec.Body request(float[] x, int n, int in) {
        return new InferRequest("t", List.of(InferTensor.matrix("input", x, n, in)), List.of("output")).encode();
    }

    @Test
    void inferReturnsTheFoldedProduct() throws Exception {
        ModelName name = new ModelName(Product.GATE_UP, 1);
        int n = 5, in = name.inDim(C), out = name.outDim(C);
        float[] x = random(n * in, 1);
        HttpResponse<byte[]> resp = post("/v2/models/layer.1.gate_up/infer", request(x, n, in));
        assertThat(resp.statusCode()).isEqualTo(200);
        assertThat(resp.headers().firstValue("Content-Type")).hasValue(V2Codec.CONTENT_TYPE);
        int len = Integer.parseInt(
                resp.headers().firstValue(V2Codec.HEADER_LENGTH).orElseThrow());
        InferResponse r = InferResponse.decode(resp.body(), len);
        assertThat(r.modelName()).isEqualTo("layer.1.gate_up");
        assertThat(r.id()).isEqualTo("t");
        float[] expected = new float[n * out];
        model.get(name).multiply(Parallel.shared(), x, n, expected);
        assertThat(r.output("output").shape()).containsExactly(n, out);
        assertThat(r.output("output").data()).containsExactly(expected);
        // the versioned path is the same model
        assertThat(post("/v2/models/layer.1.gate_up/versions/1/infer", request(x, n, in))
                        .statusCode())
                .isEqualTo(200);
    }

    @Test
    void metadataHealthAndConfigEndpoints() throws Exception {
        assertThat(get("/v2/health/live").statusCode()).isEqualTo(200);
        assertThat(get("/v2/health/ready").statusCode()).isEqualTo(200);
        JsonNode server = JSON.readTree(get("/v2").body());
        assertThat(server.get("extensions").toString()).contains("binary_tensor_data");
        JsonNode meta = JSON.readTree(get("/v2/models/layer.0.qkv").body());
        assertThat(meta.get("inputs").get(0).get("shape").toString()).isEqualTo("[-1,64]");
        assertThat(meta.get("outputs").get(0).get("shape").toString()).isEqualTo("[-1," + (64 + 2 * 32) + "]");
        assertThat(meta.get("inputs").get(0).get("datatype").asText()).isEqualTo("FP32");
        assertThat(get("/v2/models/embed/ready").statusCode()).isEqualTo(200);
        ModelConfig served =
                ModelConfig.fromJson(JSON.readTree(get("/v2/talaria/config").body()));
        assertThat(served).usingRecursiveComparison().isEqualTo(C);
        assertThat(get("/metrics").body()).contains("veil_talaria_calls_total");
    }

    @Test
    void badCallsGetAnErrorInTheKServeShape() throws Exception {
        float[] x = random(2 * 64, 2);
        var unknown = post("/v2/models/layer.9.qkv/infer", request(x, 2, 64));
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(JSON.readTree(unknown.body()).get("error").asText()).contains("layer index must be 0..1");
        var wrongWidth = post("/v2/models/layer.0.down/infer", request(x, 2, 64));
        assertThat(wrongWidth.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(wrongWidth.body()).get("error").asText())
                .contains("takes FP32 [n, 160]")
                .contains("[2, 64]");
        var noHeader = post(
                "/v2/models/layer.0.qkv/infer",
                new V2Codec.Body(request(x, 2, 64).bytes(), -1));
        assertThat(noHeader.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(noHeader.body()).get("error").asText()).contains("Inference-Header-Content-Length");
        V2Codec.Body ok = request(x, 2, 64);
        byte[] truncated = Arrays.copyOf(ok.bytes(), ok.bytes().length - 4);
        var cut = post("/v2/models/layer.0.qkv/infer", new V2Codec.Body(truncated, ok.jsonLength()));
        assertThat(cut.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(cut.body()).get("error").asText()).contains("runs past the end");
        assertThat(get("/v2/models/nope").statusCode()).isEqualTo(404);
    }

    @Test
    void concurrentCallsShareMatmulsAndEachGetsItsOwnRows() throws Exception {
        try (CloudServer batching = CloudServer.start(
                        model,
                        new CloudServer.Options("127.0.0.1", 0, Duration.ofMillis(30), 4096, Parallel.shared()));
                ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            ModelName name = new ModelName(Product.DOWN, 0);
            int in = name.inDim(C), out = name.outDim(C);
            List<Future<float[]>> replies = new ArrayList<>();
            List<float[]> inputs = new ArrayList<>();
            for (int c = 0; c < 16; c++) {
                int n = 1 + c % 3;
                float[] x = random(n * in, 100 + c);
                inputs.add(x);
                Callable<float[]> call = () -> {
                    var b = HttpRequest.newBuilder(batching.uri().resolve("/v2/models/layer.0.down/infer"))
                            .header(
                                    V2Codec.HEADER_LENGTH,
                                    Integer.toString(request(x, n, in).jsonLength()))
                            .POST(HttpRequest.BodyPublishers.ofByteArray(
                                    request(x, n, in).bytes()))
                            .build();
                    var resp = HTTP.send(b, HttpResponse.BodyHandlers.ofByteArray());
                    int len = Integer.parseInt(
                            resp.headers().firstValue(V2Codec.HEADER_LENGTH).orElseThrow());
                    return InferResponse.decode(resp.body(), len)
                            .output("output")
                            .data();
                };
                replies.add(pool.submit(call));
            }
            for (int c = 0; c < 16; c++) {
                float[] x = inputs.get(c);
                int n = x.length / in;
                float[] expected = new float[n * out];
                model.get(name).multiply(Parallel.shared(), x, n, expected);
                float[] got = replies.get(c).get();
                assertThat(got).hasSize(expected.length);
                for (int i = 0; i < got.length; i++)
                    assertThat((double) got[i])
                            .isCloseTo(
                                    expected[i],
                                    org.assertj.core.data.Offset.offset(1e-5 * (1 + Math.abs(expected[i]))));
            }
            assertThat(batching.stats().calls()).isEqualTo(16);
            assertThat(batching.stats().batches()).isLessThan(16);
        }
    }

    /** Raw bytes to the server and its whole answer (it closes the connection after a refusal). */
    static String raw(String request) throws Exception {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    @Test
    void refusedBodiesAreAnsweredInTheKServeShapeAndTheConnectionClosed() throws Exception {
        assertThat(raw("POST /v2/models/embed/infer HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999999\r\n\r\n"))
                .startsWith("HTTP/1.1 413 ")
                .contains("Connection: close")
                .contains("{\"error\":\"request body of 999999999999 bytes exceeds the limit of");
        assertThat(
                        raw(
                                "POST /v2/models/embed/infer HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"))
                .startsWith("HTTP/1.1 411 ")
                .contains("send the body with a Content-Length");
        assertThat(raw("GARBAGE\r\n\r\n"))
                .startsWith("HTTP/1.1 400 ")
                .contains("not an HTTP/1.x request line: 'GARBAGE'");
        assertThat(raw("GET /v2/health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))
                .startsWith("HTTP/1.1 200 ");
    }
}
