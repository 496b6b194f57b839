package dev.veil.talaria.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SetupMessagesTest {

    @Test
    void maskSpecsParseAndPrint() {
        assertThat(MaskSpec.parse("remo:0.25")).isEqualTo(MaskSpec.remo(0.25));
        assertThat(MaskSpec.parse("pool:64")).isEqualTo(MaskSpec.pool(64));
        assertThat(MaskSpec.parse("none")).isEqualTo(MaskSpec.NONE);
        assertThat(MaskSpec.parse(MaskSpec.remo(0.9).toString())).isEqualTo(MaskSpec.remo(0.9));
        assertThat(MaskSpec.remo(0.5).rankFor(64)).isEqualTo(32);
        assertThat(MaskSpec.remo(0.999).rankFor(64)).isEqualTo(63);
        assertThat(MaskSpec.remo(0.001).rankFor(64)).isEqualTo(1);
        assertThatThrownBy(() -> MaskSpec.parse("remo:1.0")).hasMessageContaining("must be in (0, 1)");
        assertThatThrownBy(() -> MaskSpec.parse("pool:0")).hasMessageContaining("at least 1 row");
        assertThatThrownBy(() -> MaskSpec.parse("xor")).hasMessageContaining("unknown mask 'xor'");
        assertThatThrownBy(() -> MaskSpec.parse("remo:abc")).hasMessageContaining("bad number");
    }

    @Test
    void setupRequestRoundTripsAndRefusesBadFields() {
        byte[] seed = MaskPrg.newSeed();
        SetupRequest r = new SetupRequest(seed, new SetupPlan(MaskSpec.remo(0.5), MaskSpec.pool(16), 2));
        SetupRequest back = SetupRequest.fromJson(r.toJson());
        assertThat(back.seed()).containsExactly(seed);
        assertThat(back.plan()).isEqualTo(r.plan());
        assertThatThrownBy(() -> SetupRequest.fromJson(
                        "{\"seed\":\"AAAA\",\"hidden\":\"none\",\"embed\":\"none\",\"check_vectors\":0}"
                                .getBytes(StandardCharsets.UTF_8)))
                .hasMessageContaining("seed must be 32 bytes");
        String noEmbed = new String(r.toJson(), StandardCharsets.UTF_8).replace("\"embed\"", "\"embedx\"");
        assertThatThrownBy(() -> SetupRequest.fromJson(noEmbed.getBytes(StandardCharsets.UTF_8)))
                .hasMessageContaining("field 'embed' missing");
        String extra = new String(r.toJson(), StandardCharsets.UTF_8).replace("{", "{\"lm_head\":\"pool:9\",");
        assertThatThrownBy(() -> SetupRequest.fromJson(extra.getBytes(StandardCharsets.UTF_8)))
                .hasMessageContaining("unknown field 'lm_head'");
    }

    @Test
    void bundleRoundTripsAndIsCheckedAgainstThePlan() {
        var config = ModelNameTest.CONFIG;
        SetupPlan plan = new SetupPlan(MaskSpec.remo(0.5), MaskSpec.pool(3), 1);
        Map<ModelName, SetupBundle.Material> m = new LinkedHashMap<>();
        for (ModelName n : ModelName.all(config)) {
            var s = SetupBundle.Shapes.of(n, config, plan);
            m.put(
                    n,
                    new SetupBundle.Material(
                            MaskPrg.fresh().gaussians((int) s.rPub(), 1),
                            new float[(int) s.poolU()],
                            new float[(int) s.checkW()],
                            new float[(int) s.checkB()]));
        }
        V2Codec.Body body = new SetupBundle(m).encode();
        SetupBundle back = SetupBundle.decode(body.bytes(), body.jsonLength(), config, plan);
        ModelName qkv = new ModelName(Product.QKV, 1);
        assertThat(back.get(qkv).rPub()).containsExactly(m.get(qkv).rPub());
        assertThat(back.get(qkv).rPub()).hasSize(32 * 128);
        assertThat(back.get(ModelName.EMBED).poolU()).hasSize(3 * 64);
        SetupPlan other = new SetupPlan(MaskSpec.remo(0.25), MaskSpec.pool(3), 1);
        assertThatThrownBy(() -> SetupBundle.decode(body.bytes(), body.jsonLength(), config, other))
                .hasMessageContaining("made for another model or plan");
    }
}
