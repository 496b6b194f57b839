package dev.veil.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.model.safetensors.SafetensorsWriter;
import dev.veil.model.safetensors.ShardedSafetensorsWriter;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelFilesTest {
    @TempDir
    Path tmp;

    @Test
    void opensAHfDirectoryWithGenerationConfigAndTokenizer() throws IOException {
        ModelConfig c = RandomModels.llama();
        Path dir = RandomModels.writeHf(tmp.resolve("llama"), c, DType.BF16, 3);
        Files.writeString(
                dir.resolve("generation_config.json"),
                "{\"bos_token_id\": 1, \"eos_token_id\": [2, 9], \"do_sample\": true, \"temperature\": 0.6, \"top_p\": 0.9}");
        Files.writeString(dir.resolve("tokenizer.json"), RandomModels.tokenizerJson(c.vocabSize()));

        try (ModelFiles m = ModelFiles.open(dir)) {
            assertThat(m.format()).isEqualTo(ModelFiles.Format.HF);
            assertThat(m.config()).isEqualTo(c);
            assertThat(m.generation().eosTokenIds()).containsExactly(2, 9);
            assertThat(m.generation().bosTokenId()).isEqualTo(1);
            assertThat(m.generation().temperature()).isEqualTo(0.6);
            assertThat(m.generation().topP()).isEqualTo(0.9);
            assertThat(m.generation().topK()).isNull();
            assertThat(m.generation().doSample()).isTrue();
            assertThat(m.tokenizerDir()).isEqualTo(dir);
            List<Tensor> expected = RandomModels.weights(c, DType.BF16, 3);
            assertThat(m.weights().names()).hasSize(expected.size());
            for (Tensor t : expected)
                assertThat(m.weights().get(t.name()).data().mismatch(t.data())).isEqualTo(-1);
        }
    }

    @Test
    void withoutGenerationConfigTheIdsComeFromConfigJson() throws IOException {
        ModelConfig c = RandomModels.qwen2();
        Path dir = RandomModels.writeHf(tmp.resolve("qwen"), c, DType.F32, 4);
        try (ModelFiles m = ModelFiles.open(dir)) {
            assertThat(m.generation()).isEqualTo(GenerationConfig.of(-1, List.of(5, 7)));
            assertThat(m.tokenizerDir()).isNull();
            assertThat(m.weights().contains(ModelTensors.LM_HEAD)).isFalse();
        }
    }

    @Test
    void opensAShardedDirectory() throws IOException {
        ModelConfig c = RandomModels.qwen2();
        Path dir = tmp.resolve("sharded");
        Files.createDirectories(dir);
        c.write(dir);
        List<Tensor> weights = RandomModels.weights(c, DType.F16, 5);
        try (var w = ShardedSafetensorsWriter.create(
                dir, weights.stream().map(TensorSpec::of).toList(), Map.of(), 20_000)) {
            for (Tensor t : weights) w.write(t);
        }
        assertThat(Files.exists(dir.resolve("model.safetensors.index.json"))).isTrue();
        try (ModelFiles m = ModelFiles.open(dir)) {
            for (Tensor t : weights)
                assertThat(m.weights().get(t.name()).data().mismatch(t.data())).isEqualTo(-1);
        }
    }

    // --- bad input: one IOException naming the file and the problem -------------------------------------------

    @Test
    void missingPath() {
        Path p = tmp.resolve("nope");
        assertOpenFails(p, p + ": no such file or directory");
    }

    @Test
    void missingConfig() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("empty"));
        assertOpenFails(dir, dir.resolve("config.json") + ": no config.json in the model directory");
    }

    @Test
    void missingWeights() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("noweights"));
        RandomModels.llama().write(dir);
        assertOpenFails(dir, dir + ": no model.safetensors or model.safetensors.index.json in the model directory");
    }

    @Test
    void missingTensor() throws IOException {
        Path dir = llamaWith("missing", w -> w.removeIf(t -> t.name().equals("model.layers.1.mlp.up_proj.weight")));
        assertOpenFails(dir, dir + ": missing tensor 'model.layers.1.mlp.up_proj.weight'");
    }

    @Test
    void wrongShape() throws IOException {
        Path dir = llamaWith(
                "shape",
                w -> w.replaceAll(
                        t -> t.name().equals("model.norm.weight") ? Tensor.ofFloats(t.name(), new float[31], 31) : t));
        assertOpenFails(dir, dir + ": tensor 'model.norm.weight' has shape [31] but config.json implies [32]");
    }

    @Test
    void unsupportedTensorDtype() throws IOException {
        Path dir = llamaWith(
                "dtype",
                w -> w.replaceAll(t -> t.name().equals("model.norm.weight")
                        ? new Tensor(
                                t.name(), DType.I32, t.shape(), Arena.ofAuto().allocate(32 * 4))
                        : t));
        assertOpenFails(
                dir,
                dir
                        + ": tensor 'model.norm.weight' has unsupported dtype I32 (Veil runs F32, F16, BF16, Q8_0, Q5_0, Q4_K and Q6_K weights; norms and biases in float)");
    }

    @Test
    void unsupportedArchitecture() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("mistral"));
        var json = RandomModels.llama().toJson();
        json.putArray("architectures").add("GPTNeoXForCausalLM");
        Files.writeString(dir.resolve("config.json"), json.toString());
        assertOpenFails(
                dir,
                dir.resolve("config.json")
                        + ": unsupported architecture 'GPTNeoXForCausalLM' (Veil runs LlamaForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM, Qwen3MoeForCausalLM)");
    }

    @Test
    void outputProjectionBiasIsRefusedRatherThanIgnored() throws IOException {
        Path dir = llamaWith(
                "obias", w -> w.add(Tensor.ofFloats("model.layers.0.self_attn.o_proj.bias", new float[32], 32)));
        assertOpenFails(
                dir,
                dir
                        + ": tensor 'model.layers.0.self_attn.o_proj.bias' is a bias Veil's engine does not apply (unsupported model)");
    }

    @Test
    void invalidGenerationConfig() throws IOException {
        Path dir = RandomModels.writeHf(tmp.resolve("gen"), RandomModels.llama(), DType.F32, 1);
        Files.writeString(dir.resolve("generation_config.json"), "{\"temperature\": \"hot\"}");
        assertOpenFails(
                dir, dir.resolve("generation_config.json") + ": invalid 'temperature' \"hot\" (expected a number)");
    }

    /** The Llama fixture's config and F32 weights, the weight list changed by {@code edit}, written to tmp/NAME. */
    private Path llamaWith(String name, Consumer<List<Tensor>> edit) throws IOException {
        ModelConfig c = RandomModels.llama();
        Path dir = Files.createDirectories(tmp.resolve(name));
        c.write(dir);
        List<Tensor> weights = new ArrayList<>(RandomModels.weights(c, DType.F32, 1));
        edit.accept(weights);
        SafetensorsWriter.write(dir.resolve("model.safetensors"), weights, Map.of());
        return dir;
    }

    /** Bad input: one IOException naming the file and the problem. */
    private static void assertOpenFails(Path path, String message) {
        assertThatThrownBy(() -> ModelFiles.open(path))
                .isInstanceOf(IOException.class)
                .hasMessage(message);
    }
}
