package dev.veil.engine;

import dev.veil.engine.backend.LocalLinearBackend;
import dev.veil.engine.kernel.Parallel;
import dev.veil.model.DType;
import dev.veil.model.ModelConfig;
import dev.veil.model.ModelConfig.Architecture;
import dev.veil.model.ModelFiles;
import dev.veil.model.Tensor;
import dev.veil.model.Weights;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A quick, JMH-free look at whole-model speed (not a test), measured the way llama-bench does: {@code pp} = one batch
 * of {@code prompt} tokens after {@code depth} cached tokens, {@code tg} = {@code decode} single tokens after
 * {@code depth} cached tokens; plus decode's effective weight bandwidth. The model is a file or directory
 * (safetensors or GGUF, memory-mapped) or a random one of a named shape. Run from the repository root after
 * {@code mvn -pl engine -am test-compile} (with jackson on the class path):
 * <pre>java --add-modules jdk.incubator.vector -cp ... dev.veil.engine.EngineThroughput MODEL|small|250m|0.5b|1b \
 *     [threads] [prompt] [decode] [depth] [F32|F16|BF16 for random models]</pre>
 */
public final class EngineThroughput {

    public static void main(String[] args) throws Exception {
        String model = args.length > 0 ? args[0] : "0.5b";
        int threads = args.length > 1
                ? Integer.parseInt(args[1])
                : Runtime.getRuntime().availableProcessors();
        int prompt = args.length > 2 ? Integer.parseInt(args[2]) : 128;
        int decode = args.length > 3 ? Integer.parseInt(args[3]) : 32;
        int depth = args.length > 4 ? Integer.parseInt(args[4]) : 0;
        DType dtype = DType.valueOf(args.length > 5 ? args[5] : "BF16");
        ModelConfig c;
        Weights weights;
        if (Files.exists(Path.of(model))) {
            ModelFiles files = ModelFiles.open(Path.of(model));
            c = files.config();
            weights = files.weights();
        } else {
            c = shape(model);
            weights = random(c, dtype);
        }
        long bytesPerToken = 0;
        for (String name : weights.names()) {
            Tensor t = weights.get(name);
            if (t.rank() == 2 && !name.equals("model.embed_tokens.weight"))
                bytesPerToken += t.data().byteSize();
        }
        if (!weights.contains("lm_head.weight"))
            bytesPerToken += weights.get("model.embed_tokens.weight").data().byteSize();
        System.out.printf(
                "%s: %.3f GB of weights read per decoded token, %d threads%n", model, bytesPerToken / 1e9, threads);
        SplittableRandom rnd = new SplittableRandom(1);
        try (Parallel p = new Parallel(threads)) {
            Transformer t = new Transformer(new LocalLinearBackend(c, weights, p), p);
            int[] tokens = rnd.ints(prompt, 0, c.vocabSize()).toArray();
            int[] context = rnd.ints(Math.max(depth, 1), 0, c.vocabSize()).toArray();
            for (int round = 0; round < 4; round++) {
                KvCache cache = t.newCache();
                if (depth > 0) t.append(context, cache);
                long t0 = System.nanoTime();
                t.append(tokens, cache);
                long t1 = System.nanoTime();
                cache.truncate(depth);
                long t2 = System.nanoTime();
                for (int i = 0; i < decode; i++) t.forward(new int[] {i + 5}, cache);
                long t3 = System.nanoTime();
                double decodeSeconds = (t3 - t2) / 1e9;
                System.out.printf(
                        "round %d: pp%d %.1f tok/s | tg%d %.2f tok/s = %.1f GB/s of weights%s%n",
                        round,
                        prompt,
                        prompt / ((t1 - t0) / 1e9),
                        decode,
                        decode / decodeSeconds,
                        bytesPerToken * decode / decodeSeconds / 1e9,
                        depth > 0 ? " (depth " + depth + ")" : "");
            }
        }
    }

    private static ModelConfig shape(String name) {
        return switch (name) {
            case "small" ->
                ModelConfig.of(Architecture.LLAMA, 32000, 512, 1408, 8, 8, 4, 64)
                        .withNorm(1e-6, 10000.0, null)
                        .withTokens(4096, false, false, 1, List.of(2));
            case "250m" ->
                ModelConfig.of(Architecture.LLAMA, 32000, 1024, 2816, 16, 16, 4, 64)
                        .withNorm(1e-5, 10000.0, null)
                        .withTokens(4096, false, false, 1, List.of(2));
            case "1b" ->
                ModelConfig.of(Architecture.LLAMA, 32000, 2048, 5632, 22, 32, 4, 64)
                        .withNorm(1e-5, 10000.0, null)
                        .withTokens(4096, false, false, 1, List.of(2)); // TinyLlama-1.1B
            case "0.5b" ->
                ModelConfig.of(Architecture.QWEN2, 151936, 896, 4864, 24, 14, 2, 64)
                        .withNorm(1e-6, 1000000.0, null)
                        .withTokens(4096, true, true, -1, List.of(151643)); // Qwen2-0.5B
            default -> throw new IllegalArgumentException("no model file and no shape named " + name);
        };
    }

    /** Random weights, generated fast: a 1M-value Gaussian pattern repeated (speed does not depend on the values). */
    private static Weights random(ModelConfig c, DType dtype) {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        Arena arena = Arena.ofShared();
        float[] pattern = new float[1 << 20];
        SplittableRandom rnd = new SplittableRandom(1);
        for (var e : TestModels.shapes(c).entrySet()) {
            long[] shape = e.getValue();
            long count = Tensor.count(shape);
            boolean norm = e.getKey().endsWith("norm.weight");
            double sigma = shape.length == 1 ? 0.1 : 1 / Math.sqrt(shape[1]);
            for (int i = 0; i < pattern.length; i++) pattern[i] = (float) ((norm ? 1 : 0) + sigma * rnd.nextGaussian());
            MemorySegment seg = arena.allocate(count * dtype.bytes, 64);
            for (long i = 0; i < count; i++) {
                float v = pattern[(int) (i & (pattern.length - 1))];
                switch (dtype) {
                    case F32 -> seg.setAtIndex(Tensor.F32, i, v);
                    case F16 -> seg.setAtIndex(Tensor.I16, i, Float.floatToFloat16(v));
                    default -> seg.setAtIndex(Tensor.I16, i, DType.toBF16(v));
                }
            }
            tensors.put(e.getKey(), new Tensor(e.getKey(), dtype, shape, seg));
        }
        return TestModels.of(tensors);
    }
}
