package dev.veil.model.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.veil.model.DType;
import dev.veil.model.Fixtures;
import dev.veil.model.GenerationConfig;
import dev.veil.model.HfModelWriter;
import dev.veil.model.ModelConfig;
import dev.veil.model.ModelFiles;
import dev.veil.model.ModelTensors;
import dev.veil.model.RandomModels;
import dev.veil.model.Tensor;
import dev.veil.model.TensorSpec;
import dev.veil.model.Weights;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class GgufExportTest {
    @TempDir
    Path tmp;

    static Stream<Arguments> models() {
        return Stream.of(DType.F32, DType.F16, DType.BF16)
                .flatMap(d -> Stream.of(
                        Arguments.of("llama", RandomModels.llama(), d), Arguments.of("qwen2", RandomModels.qwen2(), d),
                        Arguments.of("qwen3", RandomModels.qwen3(), d),
                                Arguments.of("qwen3moe", RandomModels.qwen3Moe(), d)));
    }

    /** HF -> GGUF -> (ModelFiles on the GGUF) -> HF gives back the same config and bit-identical tensors. */
    @ParameterizedTest(name = "{0} {2}")
    @MethodSource("models")
    void roundTripIsBitIdentical(String name, ModelConfig c, DType dtype) throws IOException {
        Path hf = RandomModels.writeHf(tmp.resolve(name), c, dtype, 11);
        Path gguf = tmp.resolve(name + ".gguf");
        try (ModelFiles m = ModelFiles.open(hf)) {
            GgufExport.write(m, gguf, dtype);
        }
        List<Tensor> original = RandomModels.weights(c, dtype, 11);
        try (ModelFiles m = ModelFiles.open(gguf)) {
            assertThat(m.format()).isEqualTo(ModelFiles.Format.GGUF);
            assertThat(m.config()).isEqualTo(withTorchDtype(c, dtype));
            for (Tensor t : original) {
                Tensor back = m.weights().get(t.name());
                assertThat(back.shape()).isEqualTo(t.shape());
                // 1-D tensors are stored in F32 as llama.cpp's converter does; widening is exact
                assertThat(back.dtype()).isEqualTo(t.rank() == 1 ? DType.F32 : dtype);
                assertThat(back.toFloats()).as(t.name()).isEqualTo(t.toFloats());
            }
            HfModelWriter.write(m, tmp.resolve(name + "-back"), dtype);
        }
        try (ModelFiles m = ModelFiles.open(tmp.resolve(name + "-back"))) {
            assertThat(m.config()).isEqualTo(withTorchDtype(c, dtype));
            for (Tensor t : original)
                assertThat(m.weights().get(t.name()).data().mismatch(t.data()))
                        .as(t.name())
                        .isEqualTo(-1);
        }
    }

    @Test
    void llamaMetadataHasTheKeysAndTypesLlamaCppReads() throws IOException {
        ModelConfig c = RandomModels.qwen2();
        Path gguf = export(c, DType.F16, null);
        try (GgufFile g = GgufFile.open(gguf)) {
            assertThat(g.version()).isEqualTo(3);
            assertThat(g.getString("general.architecture")).isEqualTo("llama");
            for (String key : List.of(
                    "block_count",
                    "context_length",
                    "embedding_length",
                    "feed_forward_length",
                    "attention.head_count",
                    "attention.head_count_kv",
                    "attention.key_length",
                    "attention.value_length",
                    "rope.dimension_count",
                    "vocab_size")) assertThat(g.type("llama." + key)).as(key).isEqualTo(GgufValueType.UINT32);
            assertThat(g.type("llama.rope.freq_base")).isEqualTo(GgufValueType.FLOAT32);
            assertThat(g.type("llama.attention.layer_norm_rms_epsilon")).isEqualTo(GgufValueType.FLOAT32);
            assertThat(g.getInt("llama.attention.key_length")).isEqualTo(12);
            assertThat(g.getInt("llama.rope.dimension_count")).isEqualTo(12);
            assertThat(g.getInt("llama.embedding_length")).isEqualTo(32);
            assertThat(g.getInt("llama.attention.head_count_kv")).isEqualTo(2);
            assertThat(g.getFloat("llama.rope.freq_base", 0)).isEqualTo(1e6f);
            assertThat(g.getFloat("llama.attention.layer_norm_rms_epsilon", 0)).isEqualTo(1e-6f);
            assertThat(g.getInt("general.file_type")).isEqualTo(1);
            // tied: no output.weight; qwen2: q/k/v biases, and no rope_freqs without llama3 scaling
            assertThat(g.tensorInfo("output.weight")).isNull();
            assertThat(g.tensorInfo("rope_freqs.weight")).isNull();
            assertThat(g.tensorInfo("blk.1.attn_k.bias").type()).isEqualTo(GgmlType.F32);
            assertThat(g.tensorInfo("blk.1.attn_q.weight").ne()).containsExactly(32, 48); // ggml order: [in, out]
            assertThat(g.tensorInfo("blk.1.attn_q.weight").type()).isEqualTo(GgmlType.F16);
            assertThat(g.tensorInfo("blk.0.ffn_down.weight").shape()).containsExactly(32, 40);
            assertThat(g.tensors()).hasSize(ModelTensors.expected(c).size());
            // every tensor starts at a multiple of 32 from the data section, one after the other, as gguf.cpp demands
            long expectedOffset = 0;
            for (GgufTensorInfo t : g.tensors()) {
                assertThat(t.offset()).as(t.name()).isEqualTo(expectedOffset);
                expectedOffset = (t.offset() + t.byteSize() + 31) / 32 * 32;
            }
            assertThat(g.dataStart() % 32).isZero();
            assertThat(Files.size(gguf)).isEqualTo(g.dataStart() + expectedOffset);
        }
    }

    /**
     * Qwen3-MoE as llama.cpp's converter writes it: architecture qwen3moe with its expert keys, Q/K rows in Hugging
     * Face order (NeoX RoPE), q/k norms over head_dim, each layer's experts stacked [experts, out, in] in expert order.
     */
    @Test
    void qwen3MoeHasLlamaCppsNamesKeysAndStackedExperts() throws IOException {
        ModelConfig c = RandomModels.qwen3Moe();
        Path hf = RandomModels.writeHf(tmp.resolve("moe"), c, DType.F32, 3);
        Path gguf = tmp.resolve("moe.gguf");
        try (ModelFiles m = ModelFiles.open(hf);
                GgufFile g = exportAndOpen(m, gguf)) {
            assertThat(g.getString("general.architecture")).isEqualTo("qwen3moe");
            assertThat(g.getInt("qwen3moe.expert_count")).isEqualTo(4);
            assertThat(g.getInt("qwen3moe.expert_used_count")).isEqualTo(2);
            assertThat(g.getInt("qwen3moe.expert_feed_forward_length")).isEqualTo(20);
            assertThat(g.getInt("qwen3moe.attention.key_length")).isEqualTo(12);
            assertThat(g.type("qwen3moe.expert_count")).isEqualTo(GgufValueType.UINT32);
            assertThat(g.tensorInfo("blk.1.attn_q_norm.weight").ne()).containsExactly(12);
            assertThat(g.tensorInfo("blk.1.ffn_gate_inp.weight").ne()).containsExactly(32, 4);
            assertThat(g.tensorInfo("blk.1.ffn_gate_exps.weight").ne())
                    .containsExactly(32, 20, 4); // ggml: {in, out, experts}
            assertThat(g.tensorInfo("blk.1.ffn_down_exps.weight").ne()).containsExactly(20, 32, 4);
            assertThat(g.tensorInfo("blk.0.ffn_gate.weight")).isNull();
            assertThat(g.tensors()).hasSize(1 + 2 * 12 + 1); // tied: no output.weight
            assertThat(g.tensor("blk.0.attn_q.weight").row(1))
                    .isEqualTo(m.weights()
                            .get("model.layers.0.self_attn.q_proj.weight")
                            .row(1));
            Tensor up = g.tensor("blk.1.ffn_up_exps.weight");
            Tensor expert2 = m.weights().get("model.layers.1.mlp.experts.2.up_proj.weight");
            float[] stacked = up.toFloats(), own = expert2.toFloats();
            assertThat(Arrays.copyOfRange(stacked, 2 * own.length, 3 * own.length))
                    .isEqualTo(own);
        }
    }

    /** llama.cpp's qwen3moe graph makes every layer sparse and renormalises the top-k weights: anything else is refused. */
    @Test
    void moeThatLlamaCppCannotRunIsRefused() throws IOException {
        ModelConfig base = RandomModels.qwen3Moe();
        for (var moe : List.of(
                new ModelConfig.Moe(4, 2, 20, false, 1, List.of()),
                new ModelConfig.Moe(4, 2, 20, true, 1, List.of(0)))) {
            ModelConfig c = ModelConfig.of(
                            base.architecture(),
                            base.vocabSize(),
                            base.hiddenSize(),
                            base.intermediateSize(),
                            base.numLayers(),
                            base.numHeads(),
                            base.numKvHeads(),
                            base.headDim(),
                            moe)
                    .withNorm(base.rmsNormEps(), base.ropeTheta(), null)
                    .withTokens(
                            base.maxPositionEmbeddings(),
                            base.tieWordEmbeddings(),
                            false,
                            base.bosTokenId(),
                            base.eosTokenIds())
                    .withTorchDtype(base.torchDtype());
            Path hf = RandomModels.writeHf(tmp.resolve("bad" + moe.normTopkProb()), c, DType.F32, 3);
            try (ModelFiles m = ModelFiles.open(hf)) {
                org.assertj.core.api.Assertions.assertThatThrownBy(
                                () -> GgufExport.write(m, tmp.resolve("bad.gguf"), DType.F32))
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining(moe.normTopkProb() ? "layer 0 is dense" : "norm_topk_prob=false");
            }
        }
    }

    /** llama.cpp's converter (LlamaModel.permute) turns each head's rows [a0 a1 a2 a3 b0 b1 b2 b3] into [a0 b0 a1 b1 ...]. */
    @Test
    void queryAndKeyRowsAreInterleavedPerHead() throws IOException {
        ModelConfig c = RandomModels.qwen2(); // head_dim 12: rows h*12 + [0..5] pair with h*12 + [6..11]
        Path hf = RandomModels.writeHf(tmp.resolve("q"), c, DType.F32, 2);
        Path gguf = tmp.resolve("q.gguf");
        try (ModelFiles m = ModelFiles.open(hf);
                GgufFile g = exportAndOpen(m, gguf)) {
            Tensor q = m.weights().get("model.layers.0.self_attn.q_proj.weight");
            Tensor gq = g.tensor("blk.0.attn_q.weight");
            Tensor kb = m.weights().get("model.layers.1.self_attn.k_proj.bias");
            Tensor gkb = g.tensor("blk.1.attn_k.bias");
            for (int head = 0; head < 4; head++)
                for (int i = 0; i < 6; i++) {
                    assertThat(gq.row(head * 12 + 2 * i)).isEqualTo(q.row(head * 12 + i));
                    assertThat(gq.row(head * 12 + 2 * i + 1)).isEqualTo(q.row(head * 12 + 6 + i));
                }
            for (int head = 0; head < 2; head++)
                for (int i = 0; i < 6; i++) {
                    assertThat(gkb.getFloat(head * 12 + 2 * i)).isEqualTo(kb.getFloat(head * 12 + i));
                    assertThat(gkb.getFloat(head * 12 + 2 * i + 1)).isEqualTo(kb.getFloat(head * 12 + 6 + i));
                }
            // V and everything else keeps its rows
            assertThat(g.tensor("blk.0.attn_v.weight")
                            .data()
                            .mismatch(m.weights()
                                    .get("model.layers.0.self_attn.v_proj.weight")
                                    .data()))
                    .isEqualTo(-1);
        }
    }

    /**
     * rope_freqs.weight for Llama 3.1's scaling (theta 5e5, head_dim 128, factor 8, low 1, high 4, original context 8192).
     * Expected values: convert_hf_to_gguf.py's LlamaModel.generate_extra_tensors evaluated in float32 (numpy).
     */
    @Test
    void llama3RopeFactorsMatchLlamaCppsConverter() {
        float[] f = Llama3Rope.factors(128, 500000, new ModelConfig.RopeScaling(8, 1, 4, 8192));
        assertThat(f).hasSize(64);
        float[] smooth = {
            1.2074838876724243f,
            1.5534145832061768f,
            2.026313066482544f,
            2.6945300102233887f,
            3.684253215789795f,
            5.257327079772949f
        };
        for (int i = 0; i < 64; i++) {
            float expected = i < 29 ? 1 : i < 35 ? smooth[i - 29] : 8;
            assertThat(f[i]).as("factor %d", i).isCloseTo(expected, within(2e-6f * expected));
        }
    }

    @Test
    void llamaWithRopeScalingGetsRopeFreqsAndAnOutputTensor() throws IOException {
        ModelConfig c = RandomModels.llama();
        try (GgufFile g = GgufFile.open(export(c, DType.F32, null))) {
            assertThat(g.tensor("rope_freqs.weight").toFloats())
                    .containsExactly(Llama3Rope.factors(8, 500000, c.ropeScaling()));
            assertThat(g.tensorInfo("rope_freqs.weight").ne()).containsExactly(4);
            assertThat(g.tensorInfo("output.weight").shape()).containsExactly(300, 32);
            assertThat(g.tensorInfo("blk.0.attn_q.bias")).isNull();
        }
    }

    /** A GGUF from another converter has no veil.* keys: the llama3 parameters are recovered from rope_freqs. */
    @Test
    void thirdPartyLlama3GgufRecoversRopeScalingFromRopeFreqs() throws IOException {
        ModelConfig c = ModelConfig.of(ModelConfig.Architecture.LLAMA, 300, 256, 48, 1, 2, 1, 128)
                .withNorm(1e-5, 500000.0, new ModelConfig.RopeScaling(8, 1, 4, 8192))
                .withTokens(1024, false, false, 1, List.of(2));
        Path ours = export(c, DType.F32, null);
        Path foreign = tmp.resolve("foreign.gguf");
        try (GgufFile g = GgufFile.open(ours)) {
            GgufMetadata meta = new GgufMetadata();
            for (String key : g.metadata().keySet()) if (!key.startsWith("veil.")) meta.copy(g, key);
            List<TensorSpec> specs = new ArrayList<>();
            for (GgufTensorInfo t : g.tensors())
                specs.add(new TensorSpec(t.name(), t.type().dtype(), t.shape()));
            try (GgufWriter w = GgufWriter.create(foreign, meta, specs)) {
                for (GgufTensorInfo t : g.tensors()) w.write(g.tensor(t.name()));
            }
        }
        try (ModelFiles m = ModelFiles.open(foreign)) {
            assertThat(m.config()).isEqualTo(c);
        }
    }

    @Test
    void vocabularyComesFromTokenizerJson() throws IOException {
        ModelConfig c = RandomModels.llama();
        Path dir = RandomModels.writeHf(tmp.resolve("tok"), c, DType.F32, 1);
        Files.writeString(dir.resolve("tokenizer.json"), RandomModels.tokenizerJson(c.vocabSize()));
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"chat_template\": \"{{ messages }}\"}");
        Path gguf = tmp.resolve("tok.gguf");
        try (ModelFiles m = ModelFiles.open(dir);
                GgufFile g = exportAndOpen(m, gguf)) {
            List<String> tokens = g.getStringList("tokenizer.ggml.tokens");
            int[] types = g.getIntArray("tokenizer.ggml.token_type");
            assertThat(g.getString("tokenizer.ggml.model")).isEqualTo("gpt2");
            assertThat(g.getString("tokenizer.ggml.pre")).isEqualTo("llama-bpe");
            assertThat(tokens).hasSize(300);
            assertThat(tokens.get('a')).isEqualTo("a");
            assertThat(tokens.get(256)).isEqualTo("Ġt");
            assertThat(tokens.get(258)).isEqualTo("Ġthe");
            assertThat(tokens.get(260)).isEqualTo("[PAD260]");
            assertThat(types[260]).isEqualTo(GgufVocab.UNUSED);
            assertThat(tokens.get(298)).isEqualTo("<|begin_of_text|>");
            assertThat(types[298]).isEqualTo(GgufVocab.CONTROL);
            assertThat(types[100]).isEqualTo(GgufVocab.NORMAL);
            assertThat(g.getStringList("tokenizer.ggml.merges")).containsExactly("Ġ t", "h e", "Ġt he", "i n");
            assertThat(g.getInt("tokenizer.ggml.bos_token_id")).isEqualTo(1);
            assertThat(g.getInt("tokenizer.ggml.eos_token_id")).isEqualTo(2);
            assertThat(g.getBoolean("tokenizer.ggml.add_bos_token", false)).isTrue();
            assertThat(g.getString("tokenizer.chat_template")).isEqualTo("{{ messages }}");
        }
    }

    /** A real tokenizer.json (Llama 3's): the vocabulary block equals llama.cpp's own llama-bpe vocab GGUF. */
    @Test
    void llama3TokenizerJsonGivesTheSameVocabularyAsLlamaCppsConverter() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("l3"));
        Files.copy(Fixtures.tokenizerJson("llama3"), dir.resolve("tokenizer.json"));
        GgufMetadata meta = new GgufMetadata();
        GgufVocab.fromTokenizerJson(dir, 128256, 128000, List.of(128001), meta);
        try (GgufFile ref = GgufFile.open(Fixtures.vocabGguf("llama-bpe"))) {
            assertThat(meta.values().get("tokenizer.ggml.tokens").value())
                    .isEqualTo(ref.getStringList("tokenizer.ggml.tokens"));
            assertThat(meta.values().get("tokenizer.ggml.merges").value())
                    .isEqualTo(ref.getStringList("tokenizer.ggml.merges"));
            assertThat((int[]) meta.values().get("tokenizer.ggml.token_type").value())
                    .isEqualTo(ref.getIntArray("tokenizer.ggml.token_type"));
            assertThat(meta.values().get("tokenizer.ggml.pre").value()).isEqualTo(ref.getString("tokenizer.ggml.pre"));
        }
    }

    @Test
    void withoutTokenizerJsonTheVocabularyIsSyntheticByteLevel() throws IOException {
        ModelConfig c = RandomModels.qwen2();
        try (GgufFile g = GgufFile.open(export(c, DType.F32, null))) {
            List<String> tokens = g.getStringList("tokenizer.ggml.tokens");
            assertThat(tokens).hasSize(280).doesNotHaveDuplicates();
            assertThat(tokens.get('A')).isEqualTo("A");
            assertThat(tokens.get('\n')).isEqualTo("Ċ");
            assertThat(tokens.get(' ')).isEqualTo("Ġ");
            assertThat(tokens.get(279)).isEqualTo("[TOK279]");
            assertThat(tokens.get(0xC3))
                    .as("no lone non-ASCII byte: its text would be an incomplete UTF-8 sequence")
                    .isEqualTo("[TOK195]");
            assertThat(g.getStringList("tokenizer.ggml.merges")).isEmpty();
            assertThat(g.getInt("tokenizer.ggml.eos_token_id")).isEqualTo(5);
            assertThat(g.getIntArray("veil.eos_token_ids")).containsExactly(5, 7);
            assertThat(g.contains("tokenizer.ggml.bos_token_id")).isFalse();
        }
    }

    private Path export(ModelConfig c, DType dtype, Path tokenizerDir) throws IOException {
        Path gguf = tmp.resolve("model-" + System.nanoTime() + ".gguf");
        var weights = RandomModels.weights(c, DType.F32, 7);
        var map = new LinkedHashMap<String, Tensor>();
        weights.forEach(t -> map.put(t.name(), t));
        Weights w = new Weights() {
            public Tensor get(String name) {
                return map.get(name);
            }

            public Set<String> names() {
                return map.keySet();
            }
        };
        GgufExport.write(c, GenerationConfig.of(c.bosTokenId(), c.eosTokenIds()), w, tokenizerDir, "test", gguf, dtype);
        return gguf;
    }

    private static GgufFile exportAndOpen(ModelFiles m, Path gguf) throws IOException {
        GgufExport.write(m, gguf, DType.F32);
        return GgufFile.open(gguf);
    }

    private static ModelConfig withTorchDtype(ModelConfig c, DType d) {
        return c.withTorchDtype(HfModelWriter.torchDtype(d));
    }
}
