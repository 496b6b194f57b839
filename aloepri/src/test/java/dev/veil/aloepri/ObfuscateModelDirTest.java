package dev.veil.aloepri;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.model.ModelConfig;
import dev.veil.model.Records;
import dev.veil.model.TensorSpec;
import dev.veil.model.safetensors.SafetensorsWeights;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ObfuscateModelDirTest {

    @TempDir
    Path tmp;

    @Test
    void writesACompleteModelDirAndABoundKey() throws Exception {
        ModelConfig c = TinyModels.qwen();
        Path plain = TinyModels.write(tmp.resolve("plain"), c, "dir");
        Files.writeString(plain.resolve("generation_config.json"), "{\"eos_token_id\": [2, 7], \"pad_token_id\": 9}");
        List<TensorSpec> seen = new ArrayList<>();
        var req = new ObfuscateModelDir.Request(
                plain,
                tmp.resolve("out"),
                tmp.resolve("k.key"),
                AloePriParams.defaults(64),
                "s1",
                null,
                null,
                64,
                null,
                seen::add,
                null);
        AloePriKey key = ObfuscateModelDir.run(req);
        assertThat(ModelConfig.read(tmp.resolve("out")).hiddenSize()).isEqualTo(64 + 2 * 8);
        assertThat(tmp.resolve("out/generation_config.json")).exists();
        assertThat(seen)
                .hasSize(1
                        + c.numLayers() * 12
                        + 2); // embed, 12 per layer (2 norms, q k v, 3 biases, o, gate up down), norm, head
        for (int id : new int[] {1, 2, 7, 9})
            assertThat(key.permutation().obfuscate(id)).isEqualTo(id);
        try (var obf = SafetensorsWeights.open(tmp.resolve("out"));
                var pl = SafetensorsWeights.open(plain)) {
            key.verifyObfuscatedModel(obf, "out");
            key.verifyPlainModel(pl, "plain");
            assertThatThrownBy(() -> key.verifyObfuscatedModel(pl, "plain"))
                    .hasMessageContaining("plain is not the model this key obfuscated");
        }
        AloePriKey read = KeyFile.read(tmp.resolve("k.key"), null);
        assertThat(read.obfuscatedFingerprint()).isEqualTo(key.obfuscatedFingerprint());
        assertThat(read.kappa()).hasSize(2 * c.numLayers() + 1);
        // same seed, same model
        ObfuscateModelDir.run(ObfuscateModelDir.Request.of(
                        plain, tmp.resolve("out2"), tmp.resolve("k2.key"), AloePriParams.defaults(64))
                .withSeed("s1")
                .withCalibrationTokens(64));
        assertThat(KeyFile.read(tmp.resolve("k2.key"), null).obfuscatedFingerprint())
                .isEqualTo(key.obfuscatedFingerprint());
    }

    @Test
    void refusesAnExistingOutputAndLeavesNothingBehindOnFailure() throws Exception {
        ModelConfig c = TinyModels.llama();
        Path plain = TinyModels.write(tmp.resolve("plain"), c, "fail");
        Files.createDirectories(tmp.resolve("exists"));
        assertThatThrownBy(() -> ObfuscateModelDir.run(ObfuscateModelDir.Request.of(
                        plain, tmp.resolve("exists"), tmp.resolve("a.key"), AloePriParams.defaults(96))))
                .hasMessageContaining("output directory already exists");
        assertThatThrownBy(() -> Records.with(
                        ObfuscateModelDir.Request.of(
                                plain, tmp.resolve("new"), tmp.resolve("a.key"), AloePriParams.defaults(96)),
                        "calibrationTokens",
                        -1))
                .hasMessageContaining("calibration tokens must be >= 0, got -1");
        Files.writeString(tmp.resolve("exists.gguf"), "");
        assertThatThrownBy(() -> ObfuscateModelDir.run(ObfuscateModelDir.Request.of(
                                plain, tmp.resolve("new"), tmp.resolve("a.key"), AloePriParams.defaults(96))
                        .withGguf(tmp.resolve("exists.gguf"))))
                .hasMessageContaining("exists.gguf: GGUF file already exists");
        // a model whose weights contradict its config fails mid-way: no output dir, no temp dir, no key
        ModelConfig wrong = TinyModels.config(ModelConfig.Architecture.LLAMA, 96, 2, 6, 3, 20, 200, 250, false, false);
        wrong.write(plain);
        assertThatThrownBy(() -> ObfuscateModelDir.run(ObfuscateModelDir.Request.of(
                                plain, tmp.resolve("out"), tmp.resolve("b.key"), AloePriParams.defaults(96))
                        .withGguf(tmp.resolve("out.gguf"))))
                .hasMessageContaining(
                        "tensor model.layers.0.mlp.gate_proj.weight has shape [192, 96] but config.json implies [200, 96]");
        try (Stream<Path> s = Files.list(tmp)) {
            assertThat(s.map(p -> p.getFileName().toString()))
                    .containsExactlyInAnyOrder("plain", "exists", "exists.gguf");
        }
    }

    @Test
    void aFailureAfterEveryTensorIsWrittenStillLeavesNothingBehind() throws Exception {
        // the GGUF is the last thing written before the rename: a GGUF that cannot be written (here: its "directory"
        // is a file; a full disk fails the same way) must take the finished model directory with it
        Path plain = TinyModels.write(tmp.resolve("plain"), TinyModels.qwen(), "late");
        Files.writeString(tmp.resolve("a-file"), "");
        Path gguf = tmp.resolve("a-file/obf.gguf");
        assertThatThrownBy(() -> ObfuscateModelDir.run(ObfuscateModelDir.Request.of(
                                plain, tmp.resolve("out"), tmp.resolve("k.key"), AloePriParams.defaults(64))
                        .withGguf(gguf)))
                .isInstanceOf(IOException.class)
                .hasMessageStartingWith("writing the GGUF " + gguf + ": ");
        try (Stream<Path> s = Files.list(tmp)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("plain", "a-file");
        }
    }

    @Test
    void unsupportedArchitectureIsRefusedByName() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("mistral"));
        Files.writeString(dir.resolve("config.json"), "{\"architectures\":[\"MistralForCausalLM\"],\"hidden_size\":8}");
        assertThatThrownBy(() -> ObfuscateModelDir.run(ObfuscateModelDir.Request.of(
                        dir, tmp.resolve("o"), tmp.resolve("c.key"), AloePriParams.defaults(8))))
                .hasMessageContaining("unsupported architecture 'MistralForCausalLM'");
    }
}
