package dev.veil.aloepri;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.aloepri.key.KeyStream;
import dev.veil.model.DType;
import dev.veil.model.ModelConfig;
import dev.veil.model.ModelConfig.Architecture;
import dev.veil.model.ModelConfig.Moe;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Families the obfuscator has no transforms for yet are refused by name, before any checkpoint is written. */
class ObfuscatorFamiliesTest {

    @Test
    void qwen3AndQwen3MoeAreRefused() {
        ModelConfig qwen3 = ModelConfig.of(Architecture.QWEN3, 300, 32, 40, 2, 4, 2, 12)
                .withNorm(1e-6, 1e6, null)
                .withTokens(256, true, false, -1, List.of(5));
        var experts = new Moe(4, 2, 20, true, 1, List.of());
        ModelConfig moe = ModelConfig.of(Architecture.QWEN3_MOE, 300, 32, 40, 2, 4, 2, 12, experts)
                .withNorm(1e-6, 1e6, null)
                .withTokens(256, true, false, -1, List.of(5));
        for (ModelConfig c : List.of(qwen3, moe))
            assertThatThrownBy(() -> new ModelObfuscator(
                            c, AloePriParams.defaults(c.hiddenSize()), List.of(0), KeyStream.fromSeed("f"), DType.F32))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("AloePri does not obfuscate " + c.architecture().hfClass
                            + " models yet (Llama and Qwen2 only)");
    }
}
