package dev.veil.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.model.DType;
import dev.veil.model.ModelConfig;
import dev.veil.model.RandomModel;
import dev.veil.model.Tensor;
import dev.veil.model.TensorRole;
import dev.veil.model.Weights;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WarmupTest {

    @Test
    void weightsWithoutADenseOrExpertDownProjectionWarmNothingAndDoNotFail() throws InterruptedException {
        ModelConfig c = RandomModel.config(
                ModelConfig.Architecture.LLAMA, 1000, 256, 512, 2, 8, 2, 32, null, true, false, null);
        assertThat(Warmup.Types.of(c, Weights.of(Map.of()))).isNull();
        Thread t = Warmup.start(c, Weights.of(Map.of()), 5);
        t.join(10_000);
        assertThat(t.isAlive()).isFalse();
        // tied embeddings: no LM head to copy a type from
        Warmup.Types bf16 = Warmup.Types.of(c, RandomModel.weights(c, DType.BF16, 1, RandomModel.Scales.DEFAULT));
        assertThat(bf16.layers()).isEqualTo(Warmup.Types.uniform(DType.BF16).layers());
        assertThat(bf16.model()).isEqualTo(Map.of(TensorRole.EMBED, DType.BF16));
    }

    @Test
    void warmsEveryArchitectureAndFloatDtype() {
        for (ModelConfig.Architecture arch : new ModelConfig.Architecture[] {
            ModelConfig.Architecture.LLAMA, ModelConfig.Architecture.QWEN2, ModelConfig.Architecture.QWEN3
        })
            for (DType dtype : new DType[] {DType.F32, DType.F16, DType.BF16}) {
                ModelConfig like = RandomModel.config(arch, 1000, 256, 512, 2, 8, 2, 32, null, true, false, null);
                assertFinite(Warmup.run(like, Warmup.Types.uniform(dtype), 2), arch + " " + dtype);
            }
    }

    /**
     * A checkpoint whose layers mix float types (F16 attention in its first two layers, BF16 in the others, an F32
     * embedding and head): the tiny model gets one layer per distinct mix, each matrix in its real counterpart's type,
     * and runs. A quantized matrix anywhere: nothing to warm.
     */
    @Test
    void aMixedFloatModelWarmsEachDistinctMixAndAQuantizedOneWarmsNothing() {
        ModelConfig real =
                RandomModel.config(ModelConfig.Architecture.QWEN2, 64, 256, 512, 4, 4, 2, 64, null, false, true, null);
        Weights floats = RandomModel.weights(real, DType.F32, 3, RandomModel.Scales.DEFAULT);
        Warmup.Types types = Warmup.Types.of(real, stored(floats, WarmupTest::mixedType));

        assertThat(types.layers()).hasSize(2);
        assertThat(types.layers().get(0))
                .containsEntry(TensorRole.Q, DType.F16)
                .containsEntry(TensorRole.V, DType.F16)
                .containsEntry(TensorRole.DOWN, DType.BF16);
        assertThat(types.layers().get(1)).containsEntry(TensorRole.Q, DType.BF16);
        assertThat(types.model())
                .containsEntry(TensorRole.LM_HEAD, DType.F32)
                .containsEntry(TensorRole.EMBED, DType.F32);

        ModelConfig tiny = Warmup.tinyConfig(real, types.layers().size());
        Weights w = Warmup.tinyWeights(tiny, types);
        assertThat(w.get(TensorRole.Q.hf(0)).dtype()).isEqualTo(DType.F16);
        assertThat(w.get(TensorRole.Q.hf(1)).dtype()).isEqualTo(DType.BF16);
        assertThat(w.get(TensorRole.LM_HEAD.hf()).dtype()).isEqualTo(DType.F32);
        assertFinite(Warmup.run(real, types, 2), "mixed float");

        Weights quantized = stored(floats, name -> name.contains("down_proj") ? DType.Q8_0 : mixedType(name));
        assertThat(Warmup.Types.of(real, quantized)).isNull();
    }

    private static Weights stored(Weights floats, java.util.function.Function<String, DType> type) {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (String name : floats.names()) {
            Tensor t = floats.get(name);
            tensors.put(name, Tensor.of(name, t.rank() == 1 ? DType.F32 : type.apply(name), t.toFloats(), t.shape()));
        }
        return Weights.of(tensors);
    }

    /** Layers 0 and 1 alike (F16 attention), layers 2 and 3 alike (all BF16); F32 embedding and head. */
    private static DType mixedType(String name) {
        boolean first = name.startsWith("model.layers.0.") || name.startsWith("model.layers.1.");
        if (name.contains("self_attn")) return first ? DType.F16 : DType.BF16;
        if (name.startsWith("model.layers.")) return DType.BF16;
        return DType.F32;
    }

    private static void assertFinite(float[] logits, String what) {
        assertThat(logits).as(what).hasSize(64);
        for (float v : logits) assertThat(Float.isFinite(v)).as(what).isTrue();
    }
}
