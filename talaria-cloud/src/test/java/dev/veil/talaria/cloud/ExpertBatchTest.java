package dev.veil.talaria.cloud;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.engine.kernel.Parallel;
import dev.veil.model.ModelConfig;
import dev.veil.talaria.protocol.ExpertBatch;
import dev.veil.talaria.protocol.InferRequest;
import dev.veil.talaria.protocol.InferResponse;
import dev.veil.talaria.protocol.InferTensor;
import dev.veil.talaria.protocol.ModelName;
import dev.veil.talaria.protocol.Product;
import dev.veil.talaria.protocol.V2Codec;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Several experts of a sparse layer in one call ({@code layer.{i}.experts.gate_up|down}): each expert's rows get that
 * expert's product, and what the cloud may not take (a dense layer, an expert twice or out of range, a wrong width,
 * more rows than its cap over all experts) is refused in the KServe error shape.
 */
class ExpertBatchTest {

    static final ModelConfig C = TinyModels.qwen3Moe(); // layers 0 and 2 sparse, 4 experts
    static final int MAX_ROWS = 16;
    static FoldedModel model;
    static CloudServer server;
    static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void start() throws Exception {
        model = FoldedModel.fold(C, TinyModels.random(C, 5));
        server = CloudServer.start(
                model, new CloudServer.Options("127.0.0.1", 0, Duration.ZERO, MAX_ROWS, Parallel.shared()));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** A request of expert {@code experts[i]} with {@code rows[i]} rows of width {@code in}. */
    static V2Codec.Body request(int[] experts, int[] rows, int in, List<float[]> xs) {
        List<InferTensor> inputs = new ArrayList<>();
        List<String> outputs = new ArrayList<>();
        for (int i = 0; i < experts.length; i++) {
            float[] x = CloudServerTest.random(rows[i] * in, 10 + i);
            xs.add(x);
            inputs.add(InferTensor.matrix(ExpertBatch.input(experts[i]), x, rows[i], in));
            outputs.add(ExpertBatch.output(experts[i]));
        }
        return new InferRequest(null, inputs, outputs).encode();
    }

    @Test
    void eachExpertsRowsGetThatExpertsProduct() throws Exception {
        for (Product p : List.of(Product.EXPERT_GATE_UP, Product.EXPERT_DOWN)) {
            ExpertBatch batch = new ExpertBatch(p, 2);
            int in = batch.inDim(C), out = batch.outDim(C);
            int[] experts = {3, 0, 1}, rows = {2, 5, 1}; // a subset, out of order, different row counts
            List<float[]> xs = new ArrayList<>();
            HttpResponse<byte[]> resp =
                    CloudServerTest.post(server, "/v2/models/" + batch + "/infer", request(experts, rows, in, xs));
            assertThat(resp.statusCode()).isEqualTo(200);
            InferResponse r = InferResponse.decode(
                    resp.body(),
                    Integer.parseInt(
                            resp.headers().firstValue(V2Codec.HEADER_LENGTH).orElseThrow()));
            assertThat(r.modelName())
                    .isEqualTo("layer.2.experts." + (p == Product.EXPERT_GATE_UP ? "gate_up" : "down"));
            assertThat(r.outputs()).extracting(InferTensor::name).containsExactly("output.3", "output.0", "output.1");
            for (int i = 0; i < experts.length; i++) {
                float[] expected = new float[rows[i] * out];
                model.get(new ModelName(p, 2, experts[i])).multiply(Parallel.shared(), xs.get(i), rows[i], expected);
                assertThat(r.output(ExpertBatch.output(experts[i])).shape()).containsExactly(rows[i], out);
                assertThat(r.output(ExpertBatch.output(experts[i])).data()).containsExactly(expected);
            }
        }
        JsonNode meta = JSON.readTree(
                CloudServerTest.get(server, "/v2/models/layer.0.experts.down").body());
        assertThat(meta.get("inputs")).hasSize(4);
        assertThat(meta.get("inputs").get(3).get("name").asText()).isEqualTo("input.3");
        assertThat(meta.get("outputs").get(0).get("shape").toString()).isEqualTo("[-1,64]");
    }

    @Test
    void badBatchesAreRefusedWithAMessage() throws Exception {
        int d = C.hiddenSize();
        assertRefused("layer.1.experts.gate_up", new int[] {0}, new int[] {1}, d, 404, "needs a sparse layer");
        assertRefused("layer.7.experts.gate_up", new int[] {0}, new int[] {1}, d, 404, "needs a sparse layer");
        assertRefused("layer.0.experts.gate_up", new int[] {1, 1}, new int[] {1, 1}, d, 400, "'input.1' twice");
        assertRefused("layer.0.experts.gate_up", new int[] {4}, new int[] {1}, d, 400, "e in 0..3");
        assertRefused("layer.0.experts.down", new int[] {0}, new int[] {1}, d, 400, "takes FP32 [n, 48]");
        assertRefused(
                "layer.0.experts.gate_up",
                new int[] {0, 1, 2},
                new int[] {6, 6, 5},
                d,
                400,
                "at most " + MAX_ROWS + " rows over all experts, got 17");
        // an output whose expert sent no rows
        V2Codec.Body body = new InferRequest(
                        null,
                        List.of(InferTensor.matrix("input.0", new float[d], 1, d)),
                        List.of("output.0", "output.2"))
                .encode();
        var resp = CloudServerTest.post(server, "/v2/models/layer.0.experts.gate_up/infer", body);
        assertThat(resp.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(resp.body()).get("error").asText()).contains("'output.2' has no matching input");
    }

    private static void assertRefused(String model, int[] experts, int[] rows, int in, int status, String message)
            throws Exception {
        var resp = CloudServerTest.post(
                server, "/v2/models/" + model + "/infer", request(experts, rows, in, new ArrayList<>()));
        assertThat(resp.statusCode()).as(model).isEqualTo(status);
        assertThat(JSON.readTree(resp.body()).get("error").asText()).as(model).contains(message);
    }
}
