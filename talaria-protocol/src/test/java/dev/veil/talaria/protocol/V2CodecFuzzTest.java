package dev.veil.talaria.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.veil.model.ModelConfig;

/**
 * Fuzz target for the KServe V2 binary codec as the cloud and the client decode it: a 4-byte big-endian
 * {@code Inference-Header-Content-Length}, then the body. Any input either decodes (and re-encodes to the same
 * tensors) or is refused with an IllegalArgumentException (the cloud's 400) — never another exception, an error or
 * a hang. The client's decoder of the cloud's embedding table ({@link EmbeddingTable#decode}) is held to the same
 * contract for a 3 x 4 model. Seeds: bodies as {@link InferRequest#encode}, {@link InferResponse#encode} and
 * {@link EmbeddingTable#encode} lay them out.
 */
class V2CodecFuzzTest {
    private static final ModelConfig TINY = Framed.tinyModel(3);

    @FuzzTest(maxDuration = "2m")
    void decodeAnyBody(byte[] data) {
        Framed f = Framed.of(data);
        if (f == null) return;
        byte[] body = f.body();
        int jsonLength = f.jsonLength();
        try {
            InferRequest r = InferRequest.decode(body, jsonLength);
            InferRequest again =
                    InferRequest.decode(r.encode().bytes(), r.encode().jsonLength());
            assertThat(again.inputs()).hasSameSizeAs(r.inputs());
            for (int i = 0; i < r.inputs().size(); i++)
                assertThat(again.inputs().get(i).data())
                        .containsExactly(r.inputs().get(i).data());
        } catch (IllegalArgumentException e) {
            assertThat(e.getMessage()).isNotBlank();
        }
        try {
            InferResponse.decode(body, jsonLength);
        } catch (IllegalArgumentException e) {
            assertThat(e.getMessage()).isNotBlank();
        }
        try {
            EmbeddingTable t = EmbeddingTable.decode(body, jsonLength, TINY);
            assertThat(t.vocab()).isEqualTo(3);
        } catch (IllegalArgumentException e) {
            assertThat(e.getMessage()).isNotBlank();
        }
    }
}
