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
     * A Q4_K_M-like file (Q6_K down projections and V in its first layer, Q4_K in the next, Q5_0/Q8_0 where rows are
     * not whole super-blocks, an untied Q6_K head): the tiny model gets one layer per distinct mix, each matrix in its
     * real counterpart's type, and runs.
     */
    @Test
    void aQuantizedModelWarmsEachDistinctMixOfItsLayersTypes() {
        ModelConfig real =
                RandomModel.config(ModelConfig.Architecture.QWEN2, 64, 256, 512, 4, 4, 2, 64, null, false, true, null);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        Weights floats = RandomModel.weights(real, DType.F32, 3, RandomModel.Scales.DEFAULT);
        for (String name : floats.names()) {
            Tensor t = floats.get(name);
            DType d = t.rank() == 1 ? DType.F32 : realType(name);
            tensors.put(name, Tensor.of(name, d, t.toFloats(), t.shape()));
        }
        Warmup.Types types = Warmup.Types.of(real, Weights.of(tensors));

        assertThat(types.layers()).hasSize(2);
        assertThat(types.layers().get(0))
                .containsEntry(TensorRole.DOWN, DType.Q6_K)
                .containsEntry(TensorRole.V, DType.Q6_K)
                .containsEntry(TensorRole.Q, DType.Q5_0)
                .containsEntry(TensorRole.GATE, DType.Q8_0);
        assertThat(types.layers().get(1))
                .containsEntry(TensorRole.DOWN, DType.Q4_K)
                .containsEntry(TensorRole.V, DType.Q4_K);
        assertThat(types.model())
                .containsEntry(TensorRole.LM_HEAD, DType.Q6_K)
                .containsEntry(TensorRole.EMBED, DType.Q4_K);

        ModelConfig tiny = Warmup.tinyConfig(real, types.layers().size());
        Weights w = Warmup.tinyWeights(tiny, types);
        assertThat(w.get(TensorRole.DOWN.hf(0)).dtype()).isEqualTo(DType.Q6_K);
        assertThat(w.get(TensorRole.DOWN.hf(1)).dtype()).isEqualTo(DType.Q4_K);
        assertThat(w.get(TensorRole.GATE.hf(1)).dtype()).isEqualTo(DType.Q8_0);
        assertThat(w.get(TensorRole.LM_HEAD.hf()).dtype()).isEqualTo(DType.Q6_K);
        assertThat(w.get(TensorRole.Q_BIAS.hf(0)).dtype()).isEqualTo(DType.F32);
        assertFinite(Warmup.run(real, types, 2), "Q4_K_M-like");
    }

    /** Layers 0 and 1 alike (Q6_K down and V), layers 2 and 3 alike (Q4_K). */
    private static DType realType(String name) {
        boolean first = name.startsWith("model.layers.0.") || name.startsWith("model.layers.1.");
        if (name.contains("down_proj") || name.contains("v_proj")) return first ? DType.Q6_K : DType.Q4_K;
        if (name.contains("q_proj")) return DType.Q5_0;
        if (name.contains("gate_proj") || name.contains("up_proj")) return DType.Q8_0;
        if (name.equals(TensorRole.LM_HEAD.hf())) return DType.Q6_K;
        return DType.Q4_K;
    }

    private static void assertFinite(float[] logits, String what) {
        assertThat(logits).as(what).hasSize(64);
        for (float v : logits) assertThat(Float.isFinite(v)).as(what).isTrue();
    }
}
