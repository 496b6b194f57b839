package dev.veil.talaria.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.veil.model.ModelConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Fuzz target for the setup bundle as the client decodes what the setup authority sent (4-byte big-endian JSON
 * header length, then the V2 body): any input either decodes into a bundle whose every tensor has the size the plan
 * asks of the model, or is refused with an IllegalArgumentException (the client's clear error) — never another
 * exception, an error or a hang. Seed: {@link #seed()}, a valid bundle for a one-layer model.
 */
class SetupBundleFuzzTest {
    private static final ModelConfig TINY = Framed.tinyModel(5);
    private static final SetupPlan PLAN = new SetupPlan(MaskSpec.remo(0.5), MaskSpec.pool(2), 1);

    @FuzzTest(maxDuration = "2m")
    void decodeAnyBundle(byte[] data) {
        Framed f = Framed.of(data);
        if (f == null) return;
        try {
            SetupBundle b = SetupBundle.decode(f.body(), f.jsonLength(), TINY, PLAN);
            for (ModelName n : ModelName.all(TINY)) {
                var s = SetupBundle.Shapes.of(n, TINY, PLAN);
                assertThat(b.get(n).rPub()).hasSize((int) s.rPub());
                assertThat(b.get(n).checkB()).hasSize((int) s.checkB());
            }
        } catch (IllegalArgumentException e) {
            assertThat(e.getMessage()).isNotBlank();
        }
    }

    /** The committed seed is a valid bundle, so the fuzzer starts from the real layout (made by {@link #seed()}). */
    @Test
    void theSeedIsTheEncodingOfAValidBundle() throws IOException {
        byte[] committed;
        try (InputStream in = getClass().getResourceAsStream("SetupBundleFuzzTestInputs/valid-bundle")) {
            assertThat(in).as("committed seed").isNotNull();
            committed = in.readAllBytes();
        }
        Framed f = Framed.of(committed);
        SetupBundle b = SetupBundle.decode(f.body(), f.jsonLength(), TINY, PLAN);
        assertThat(b.materials()).hasSize(ModelName.all(TINY).size());
        int values = 0;
        for (SetupBundle.Material m : b.materials().values())
            for (float[] a : List.of(m.rPub(), m.poolU(), m.checkW(), m.checkB()))
                for (float v : a) {
                    assertThat(v).isEqualTo(0.5f);
                    values++;
                }
        assertThat(values).isPositive();
        assertThat(committed).hasSameSizeAs(seed());
    }

    /** A bundle with every tensor the plan asks for, values 0.5 (so the seed is deterministic). */
    static byte[] seed() {
        Map<ModelName, SetupBundle.Material> m = new LinkedHashMap<>();
        for (ModelName n : ModelName.all(TINY)) {
            var s = SetupBundle.Shapes.of(n, TINY, PLAN);
            m.put(n, new SetupBundle.Material(half(s.rPub()), half(s.poolU()), half(s.checkW()), half(s.checkB())));
        }
        V2Codec.Body body = new SetupBundle(m).encode();
        return ByteBuffer.allocate(4 + body.bytes().length)
                .putInt(body.jsonLength())
                .put(body.bytes())
                .array();
    }

    private static float[] half(long n) {
        float[] f = new float[(int) n];
        Arrays.fill(f, 0.5f);
        return f;
    }
}
