package dev.veil.bench;

import dev.veil.model.DType;
import dev.veil.model.ModelConfig;
import dev.veil.model.ModelFiles;
import dev.veil.model.RandomModel;
import dev.veil.model.TensorRole;
import dev.veil.model.TensorSpec;
import dev.veil.model.gguf.GgufExport;
import dev.veil.model.gguf.GgufFile;
import dev.veil.model.gguf.GgufTensorInfo;
import dev.veil.model.safetensors.SafetensorsWeights;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A model under benchmark and what decode must read per token.
 *
 * @param dir                 the Hugging Face directory
 * @param gguf                for a quantized model, the GGUF both engines run (Veil's export of {@code dir}); else null
 *                            (Veil runs {@code dir}, llama.cpp Veil's GGUF export of it at the same precision)
 * @param weightBytesPerToken bytes of weights one decode step streams from memory: every matrix and vector except
 *                            the embedding table, of which one row is read (a tied table is read whole, as LM head),
 *                            and of a mixture of experts the k of E experts a token uses, on average
 */
public record BenchModel(
        String name, Path dir, Path gguf, ModelConfig config, DType dtype, long parameters, long weightBytesPerToken) {

    /** Reads the config and tensor table of an HF model directory; all matrices must share one dtype. */
    public static BenchModel of(Path dir) throws IOException {
        ModelConfig c = ModelConfig.read(dir);
        try (SafetensorsWeights w = SafetensorsWeights.open(dir)) {
            List<TensorSpec> specs = w.specs();
            Set<DType> types = specs.stream()
                    .filter(s -> s.shape().length == 2)
                    .map(TensorSpec::dtype)
                    .collect(Collectors.toSet());
            if (types.size() != 1)
                throw new IllegalArgumentException(
                        dir + ": weight matrices in " + types + " (benchmark one precision at a time)");
            DType dtype = types.iterator().next();
            long params = 0, bytes = 0;
            for (TensorSpec s : specs) {
                params += s.elements();
                boolean table = s.name().equals(TensorRole.EMBED.hf());
                if (table && !c.tieWordEmbeddings()) bytes += (long) c.hiddenSize() * s.dtype().bytes;
                else if (s.name().contains(".mlp.experts.")) // a token reads its k experts of E
                bytes += s.byteSize() * c.moe().expertsPerToken() / c.moe().numExperts();
                else bytes += s.byteSize();
            }
            return new BenchModel(dir.getFileName().toString(), dir, null, c, dtype, params, bytes);
        }
    }

    /**
     * {@code base} quantized by Veil into a GGUF ({@link GgufExport}: Q8_0, or Q4_K for llama-quantize's Q4_K_M mix),
     * written once into a directory beside {@code base}'s; both engines run that file.
     */
    public static BenchModel quantized(BenchModel base, DType quant) throws IOException {
        String name = base.name().replaceFirst("-(f32|bf16|f16)$", "") + "-"
                + quant.name().toLowerCase(Locale.ROOT);
        Path gguf = base.dir().resolveSibling(name).resolve(name + ".gguf");
        if (!Files.exists(gguf)) { // GgufWriter renames the finished file into place: an interrupted run leaves none
            try (ModelFiles files = ModelFiles.open(base.dir())) {
                GgufExport.write(files, gguf, quant);
            }
        }
        ModelConfig c = base.config();
        long bytes = 0;
        try (GgufFile g = GgufFile.open(gguf)) {
            for (GgufTensorInfo t : g.tensors()) {
                boolean table = t.name().equals("token_embd.weight");
                bytes += table && !c.tieWordEmbeddings() ? t.byteSize() / c.vocabSize() : t.byteSize();
            }
        }
        return new BenchModel(name, base.dir(), gguf, c, quant, base.parameters(), bytes);
    }

    /** What Veil opens: the GGUF of a quantized model, else the directory. */
    public Path veilSource() {
        return gguf != null ? gguf : dir;
    }

    /**
     * The default benchmark model: ~200M parameters (Llama shape, GQA 16/4, untied, vocab 32000), large enough that
     * decode streams far more bytes than the caches hold, so it is memory-bound. Generated once into {@code cacheDir}.
     */
    public static BenchModel defaultModel(Path cacheDir, DType dtype) throws IOException {
        ModelConfig c = RandomModel.config(
                ModelConfig.Architecture.LLAMA, 32000, 1024, 2816, 12, 16, 4, 64, null, false, false, "float32");
        return generated(cacheDir, "llama-200m", c, dtype);
    }

    /**
     * The default mixture-of-experts benchmark model: Qwen3-MoE, ~700M parameters of which ~140M are read per token
     * (hidden 1024, 12 layers, 32 experts of width 512, top-4 renormalised, GQA 16/4, untied, vocab 32000) — a scaled
     * Qwen3-30B-A3B, memory-bound like {@link #defaultModel}. Generated once into {@code cacheDir}.
     */
    public static BenchModel defaultMoeModel(Path cacheDir, DType dtype) throws IOException {
        ModelConfig c = RandomModel.config(
                ModelConfig.Architecture.QWEN3_MOE,
                32000,
                1024,
                2816,
                12,
                16,
                4,
                64,
                new ModelConfig.Moe(32, 4, 512, true, 1, List.of()));
        return generated(cacheDir, "qwen3moe-700m", c, dtype);
    }

    /** {@code c} in {@code dtype} with random weights, written once under {@code cacheDir/bench/NAME-DTYPE}. */
    private static BenchModel generated(Path cacheDir, String name, ModelConfig c, DType dtype) throws IOException {
        c = c.withTorchDtype(dtype == DType.BF16 ? "bfloat16" : "float32");
        return of(RandomModel.writeOnce(
                cacheDir.resolve("bench/" + name + "-" + dtype.name().toLowerCase(Locale.ROOT)), c, dtype));
    }
}
