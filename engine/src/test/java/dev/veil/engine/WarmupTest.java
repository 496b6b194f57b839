package dev.veil.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.model.DType;
import dev.veil.model.ModelConfig;
import dev.veil.model.RandomModel;
import dev.veil.model.Weights;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WarmupTest {

    @Test
    void weightsWithoutADenseOrExpertDownProjectionWarmNothingAndDoNotFail() throws InterruptedException {
        ModelConfig c = RandomModel.config(
                ModelConfig.Architecture.LLAMA, 1000, 256, 512, 2, 8, 2, 32, null, true, false, null);
        assertThat(Warmup.weightDtype(Weights.of(Map.of()))).isNull();
        Thread t = Warmup.start(c, Weights.of(Map.of()), 5);
        t.join(10_000);
        assertThat(t.isAlive()).isFalse();
        assertThat(Warmup.weightDtype(RandomModel.weights(c, DType.BF16, 1, RandomModel.Scales.DEFAULT)))
                .isEqualTo(DType.BF16);
    }

    @Test
    void warmsEveryArchitectureAndFloatDtype() {
        for (ModelConfig.Architecture arch : new ModelConfig.Architecture[] {
            ModelConfig.Architecture.LLAMA, ModelConfig.Architecture.QWEN2, ModelConfig.Architecture.QWEN3
        })
            for (DType dtype : new DType[] {DType.F32, DType.F16, DType.BF16}) {
                ModelConfig like = RandomModel.config(arch, 1000, 256, 512, 2, 8, 2, 32, null, true, false, null);
                float[] logits = Warmup.run(like, dtype, 2);
                assertThat(logits).as("%s %s", arch, dtype).hasSize(64);
                for (float v : logits)
                    assertThat(Float.isFinite(v)).as("%s %s", arch, dtype).isTrue();
            }
    }
}
