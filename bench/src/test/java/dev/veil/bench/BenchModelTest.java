package dev.veil.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.offset;

import dev.veil.model.DType;
import dev.veil.model.ModelConfig;
import dev.veil.model.ModelFiles;
import dev.veil.model.RandomModel;
import dev.veil.model.Tensor;
import dev.veil.model.TensorOps;
import dev.veil.model.safetensors.SafetensorsWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchModelTest {
    @TempDir
    Path tmp;

    static ModelConfig config(boolean tied) {
        return RandomModel.config(
                ModelConfig.Architecture.LLAMA, 300, 32, 48, 2, 4, 2, 8, null, tied, false, "bfloat16");
    }

    @Test
    void decodeReadsEveryWeightButOnlyOneEmbeddingRowWhenUntied() throws Exception {
        Path dir = tmp.resolve("untied");
        RandomModel.write(dir, config(false), DType.BF16, 1, RandomModel.Scales.DEFAULT);
        BenchModel m = BenchModel.of(dir);
        // per layer: q 32x32, k 16x32, v 16x32, o 32x32, gate/up 48x32, down 32x48, two norms of 32
        long layer = 32 * 32 + 16 * 32 + 16 * 32 + 32 * 32 + 2 * 48 * 32 + 32 * 48 + 2 * 32;
        long params = 300 * 32 + 2 * layer + 32 + 300 * 32;
        assertThat(m.parameters()).isEqualTo(params);
        assertThat(m.dtype()).isEqualTo(DType.BF16);
        assertThat(m.weightBytesPerToken()).isEqualTo(2 * (params - 300 * 32 + 32));
    }

    @Test
    void aTiedTableIsReadWholeAsTheLmHead() throws Exception {
        Path dir = tmp.resolve("tied");
        RandomModel.write(dir, config(true), DType.BF16, 1, RandomModel.Scales.DEFAULT);
        BenchModel m = BenchModel.of(dir);
        assertThat(m.weightBytesPerToken()).isEqualTo(2 * m.parameters());
    }

    /** Qwen3-MoE: a decode step reads the k of E experts a token routes to (on average), not all of them. */
    @Test
    void decodeReadsOnlyTheChosenExperts() throws Exception {
        var moe = new ModelConfig.Moe(8, 2, 16, true, 1, List.of());
        ModelConfig c = ModelConfig.of(ModelConfig.Architecture.QWEN3_MOE, 300, 32, 48, 2, 4, 2, 8, moe)
                .withNorm(1e-6, 1e6, null)
                .withTokens(256, true, false, 298, List.of(299))
                .withTorchDtype("bfloat16");
        Path dir = tmp.resolve("moe");
        RandomModel.write(dir, c, DType.BF16, 1, RandomModel.Scales.DEFAULT);
        BenchModel m = BenchModel.of(dir);
        long experts = 2L * 8 * 3 * 16 * 32; // two layers, 8 experts of gate, up, down (16 x 32 each)
        assertThat(m.weightBytesPerToken()).isEqualTo(2 * (m.parameters() - experts + experts * 2 / 8));
    }

    @Test
    void randomModelsAreValidCheckpointsAndRepeatableBySeed() throws Exception {
        Path a = tmp.resolve("a"), b = tmp.resolve("b");
        RandomModel.write(a, config(false), DType.F32, 7, RandomModel.Scales.DEFAULT);
        RandomModel.write(b, config(false), DType.F32, 7, RandomModel.Scales.DEFAULT);
        assertThat(Files.mismatch(a.resolve("model.safetensors"), b.resolve("model.safetensors")))
                .isEqualTo(-1);
        try (ModelFiles f = ModelFiles.open(a)) { // validates names, shapes and dtypes against config.json
            assertThat(f.config()).isEqualTo(config(false));
            assertThat(f.tokenizerDir()).isEqualTo(a);
            Tensor norm = f.weights().get("model.norm.weight");
            float[] v = norm.toFloats();
            double mean = 0;
            for (float x : v) mean += x / v.length;
            assertThat(mean).isCloseTo(1.0, offset(0.1)); // norm weights are 1 + noise
        }
    }

    @Test
    void mixedPrecisionDirectoriesAreRefused() throws Exception {
        Path dir = tmp.resolve("mixed");
        RandomModel.write(dir, config(false), DType.F32, 1, RandomModel.Scales.DEFAULT);
        try (ModelFiles f = ModelFiles.open(dir)) {
            var w = f.weights();
            var tensors = new LinkedHashMap<String, Tensor>();
            for (String n : w.names())
                tensors.put(n, n.equals("lm_head.weight") ? TensorOps.convert(w.get(n), DType.BF16) : w.get(n));
            SafetensorsWriter.write(tmp.resolve("model.safetensors"), tensors.values(), Map.of());
        }
        Files.move(
                tmp.resolve("model.safetensors"),
                dir.resolve("model.safetensors"),
                StandardCopyOption.REPLACE_EXISTING);
        assertThatThrownBy(() -> BenchModel.of(dir))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("benchmark one precision at a time");
    }
}
