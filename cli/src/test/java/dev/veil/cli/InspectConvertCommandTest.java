package dev.veil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.model.DType;
import dev.veil.model.ModelConfig;
import dev.veil.model.ModelFiles;
import dev.veil.model.RandomModels;
import dev.veil.model.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class InspectConvertCommandTest {
    @TempDir
    Path tmp;

    @Test
    void inspectsAHfDirAsJson() throws Exception {
        Path dir = RandomModels.writeHf(tmp.resolve("m"), RandomModels.llama(), DType.BF16, 1);
        CliRun r = CliRun.ok("inspect", "--json", dir.toString());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertThat(j.path("format").asText()).isEqualTo("hf");
        assertThat(j.at("/config/architectures/0").asText()).isEqualTo("LlamaForCausalLM");
        long params = 0;
        for (Tensor t : RandomModels.weights(RandomModels.llama(), DType.BF16, 1)) params += t.size();
        assertThat(j.path("parameters").asLong()).isEqualTo(params);
        assertThat(j.at("/parameters_by_type/BF16").asLong()).isEqualTo(params);
        assertThat(j.path("tensors")).hasSize(21); // embed, 2 x 9 per layer, norm, lm_head
        assertThat(j.at("/tensors/0/name").asText()).isEqualTo("model.embed_tokens.weight");
        assertThat(j.at("/tensors/0/shape").toString()).isEqualTo("[300,32]");
    }

    /**
     * Qwen2 (F32 source: head_dim 12 ≠ hidden/heads, written as llama.cpp's {@code llama}) and Qwen3-MoE (BF16 source:
     * stacked experts, q_norm/k_norm) to a BF16 GGUF whose {@code inspect} text shows each of {@code shown}, then back
     * to HF: the config comes back as it was but for the dtype, every tensor is BF16, and a BF16 source's values come
     * back bit for bit.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("roundTrips")
    void convertsToGgufAndBackAndInspectsTheGguf(String name, ModelConfig config, DType source, List<String> shown)
            throws Exception {
        Path dir = RandomModels.writeHf(tmp.resolve(name), config, source, 2);
        Path gguf = tmp.resolve(name + ".gguf");
        assertThat(CliRun.ok(convert(dir, "gguf", gguf, "--dtype", "bf16")).out())
                .startsWith("wrote " + gguf + " (gguf, BF16");
        assertThat(CliRun.ok("inspect", gguf.toString()).out()).contains(shown);
        Path back = tmp.resolve(name + "-back");
        CliRun.ok(convert(gguf, "hf", back));
        try (ModelFiles original = ModelFiles.open(dir);
                ModelFiles m = ModelFiles.open(back)) {
            assertThat(m.config()).isEqualTo(original.config().withTorchDtype("bfloat16"));
            assertThat(m.weights().names())
                    .containsExactlyInAnyOrderElementsOf(original.weights().names());
            for (String tensor : original.weights().names()) {
                assertThat(m.weights().get(tensor).dtype()).as(tensor).isEqualTo(DType.BF16);
                if (source == DType.BF16)
                    assertThat(m.weights()
                                    .get(tensor)
                                    .data()
                                    .mismatch(original.weights().get(tensor).data()))
                            .as(tensor)
                            .isEqualTo(-1);
            }
        }
    }

    static Stream<Arguments> roundTrips() {
        return Stream.of(
                Arguments.of(
                        "qwen2",
                        RandomModels.qwen2(),
                        DType.F32,
                        List.of(
                                "(gguf)",
                                "architecture  Qwen2ForCausalLM",
                                "general.architecture = llama",
                                "tokenizer.ggml.tokens = [280 strings]",
                                "blk.0.attn_q.weight BF16[48, 32]")),
                Arguments.of(
                        "qwen3moe",
                        RandomModels.qwen3Moe(),
                        DType.BF16,
                        List.of(
                                "architecture  Qwen3MoeForCausalLM",
                                "general.architecture = qwen3moe",
                                "q_norm/k_norm over head_dim",
                                "experts 4, 2 per token, expert intermediate 20",
                                "blk.1.ffn_down_exps.weight BF16[4, 32, 20]")));
    }

    @Test
    void badInputIsOneLineWithoutStackTrace() throws Exception {
        Path bad = tmp.resolve("bad.gguf");
        Files.write(bad, new byte[] {'G', 'G', 'U', 'F', 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
        CliRun r = CliRun.run("inspect", bad.toString());
        assertThat(r.exit()).isNotZero();
        assertThat(r.err().strip())
                .isEqualTo("veil: " + bad + ": unsupported GGUF version 7 (Veil reads versions 2 and 3)");

        CliRun missing = CliRun.run(convert(tmp.resolve("none"), "gguf", tmp.resolve("x.gguf")));
        assertThat(missing.exit()).isNotZero();
        assertThat(missing.err().strip()).isEqualTo("veil: " + tmp.resolve("none") + ": no such file or directory");

        Path dir = RandomModels.writeHf(tmp.resolve("d"), RandomModels.llama(), DType.F32, 2);
        CliRun dtype = CliRun.run(convert(dir, "gguf", tmp.resolve("y.gguf"), "--dtype", "q4"));
        assertThat(dtype.exit()).isNotZero();
        assertThat(dtype.err().strip()).isEqualTo("veil: unsupported --dtype 'q4' (use f32, f16, bf16, q8_0 or q4_k)");
    }

    /** {@code convert --model MODEL --to FORMAT --out OUT}, then {@code more}. */
    private static String[] convert(Path model, String format, Path out, String... more) {
        List<String> args = new ArrayList<>(
                List.of("convert", "--model", model.toString(), "--to", format, "--out", out.toString()));
        args.addAll(List.of(more));
        return args.toArray(String[]::new);
    }
}
