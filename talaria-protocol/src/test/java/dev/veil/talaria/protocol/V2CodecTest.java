package dev.veil.talaria.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class V2CodecTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static float[] randomFloats(int n, long seed) {
        Random r = new Random(seed);
        float[] f = new float[n];
        for (int i = 0; i < n; i++) f[i] = (float) r.nextGaussian() * 100;
        f[0] = Float.intBitsToFloat(0x7fc00123); // a NaN payload must survive: the codec copies bits, not values
        f[1] = -0.0f;
        f[2] = Float.MIN_VALUE;
        return f;
    }

    @Test
    void requestRoundTripsBitExactly() {
        float[] x = randomFloats(3 * 17, 1);
        V2Codec.Body body =
                new InferRequest("abc", List.of(InferTensor.matrix("input", x, 3, 17)), List.of("output")).encode();
        InferRequest back = InferRequest.decode(body.bytes(), body.jsonLength());
        assertThat(back.id()).isEqualTo("abc");
        assertThat(back.outputs()).containsExactly("output");
        InferTensor t = back.inputs().getFirst();
        assertThat(t.name()).isEqualTo("input");
        assertThat(t.shape()).containsExactly(3, 17);
        for (int i = 0; i < x.length; i++)
            assertThat(Float.floatToRawIntBits(t.data()[i])).isEqualTo(Float.floatToRawIntBits(x[i]));
    }

    @Test
    void bodyIsTheKServeBinaryExtensionLayout() throws Exception {
        float[] x = {1.0f, -2.5f};
        V2Codec.Body body =
                new InferRequest("id7", List.of(InferTensor.matrix("input", x, 1, 2)), List.of("output")).encode();
        assertThat(body.bytes()).hasSize(body.jsonLength() + 8);
        JsonNode h = JSON.readTree(new String(body.bytes(), 0, body.jsonLength(), StandardCharsets.UTF_8));
        JsonNode in = h.get("inputs").get(0);
        assertThat(in.get("name").asText()).isEqualTo("input");
        assertThat(in.get("datatype").asText()).isEqualTo("FP32");
        assertThat(in.get("shape").toString()).isEqualTo("[1,2]");
        assertThat(in.get("parameters").get("binary_data_size").asLong()).isEqualTo(8);
        assertThat(in.has("data")).isFalse();
        assertThat(h.get("outputs").get(0).get("parameters").get("binary_data").asBoolean())
                .isTrue();
        // 1.0f = 0x3F800000 little-endian, then -2.5f = 0xC0200000
        int j = body.jsonLength();
        assertThat(new byte[] {body.bytes()[j], body.bytes()[j + 1], body.bytes()[j + 2], body.bytes()[j + 3]})
                .containsExactly(0x00, 0x00, 0x80, 0x3F);
        assertThat(ByteBuffer.wrap(body.bytes(), j + 4, 4)
                        .order(ByteOrder.LITTLE_ENDIAN)
                        .getInt())
                .isEqualTo(0xC0200000);
    }

    @Test
    void responseRoundTripsAndNamesOutputs() {
        float[] y = randomFloats(2 * 5, 2);
        V2Codec.Body body =
                new InferResponse("layer.3.qkv", "r1", List.of(InferTensor.matrix("output", y, 2, 5))).encode();
        InferResponse back = InferResponse.decode(body.bytes(), body.jsonLength());
        assertThat(back.modelName()).isEqualTo("layer.3.qkv");
        assertThat(back.output("output").data()).hasSize(10);
        assertThatThrownBy(() -> back.output("logits")).hasMessageContaining("no output 'logits'");
    }

    private static byte[] body(String json, int binaryBytes) {
        byte[] j = json.getBytes(StandardCharsets.UTF_8);
        byte[] b = new byte[j.length + binaryBytes];
        System.arraycopy(j, 0, b, 0, j.length);
        return b;
    }

    @Test
    void badBodiesAreRefusedWithTheReason() {
        String ok =
                "{\"inputs\":[{\"name\":\"input\",\"shape\":[1,2],\"datatype\":\"FP32\",\"parameters\":{\"binary_data_size\":8}}]}";
        int len = ok.getBytes(StandardCharsets.UTF_8).length;
        assertThat(InferRequest.decode(body(ok, 8), len).inputs()).hasSize(1);
        assertThatThrownBy(() -> InferRequest.decode(body(ok, 8), len + 100))
                .hasMessageContaining("does not fit a body");
        assertThatThrownBy(() -> InferRequest.decode(body(ok, 4), len)).hasMessageContaining("runs past the end");
        assertThatThrownBy(() -> InferRequest.decode(body(ok, 12), len))
                .hasMessageContaining("4 bytes after the last tensor");
        String fp16 = ok.replace("FP32", "FP16");
        assertThatThrownBy(() -> InferRequest.decode(body(fp16, 8), len))
                .hasMessageContaining("datatype 'FP16' is not supported");
        String wrongSize = ok.replace("\"binary_data_size\":8", "\"binary_data_size\":12");
        assertThatThrownBy(() -> InferRequest.decode(body(wrongSize, 12), len + 1))
                .hasMessageContaining("binary_data_size 12 does not match shape [1,2]");
        String json = "{\"inputs\":[{\"name\":\"input\",\"shape\":[1,2],\"datatype\":\"FP32\",\"data\":[1,2]}]}";
        assertThatThrownBy(() -> InferRequest.decode(body(json, 0), json.length()))
                .hasMessageContaining("JSON 'data' is not accepted");
        assertThatThrownBy(() -> InferRequest.decode(body("{nope", 0), 5)).hasMessageContaining("not valid JSON");
        String negative = ok.replace("[1,2]", "[-1,2]");
        assertThatThrownBy(() -> InferRequest.decode(body(negative, 8), len + 1))
                .hasMessageContaining("invalid shape");
    }
}
