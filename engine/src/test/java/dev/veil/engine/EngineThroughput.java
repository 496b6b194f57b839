package dev.veil.engine;

import dev.veil.engine.backend.LocalLinearBackend;
import dev.veil.engine.kernel.Parallel;
import dev.veil.model.DType;
import dev.veil.model.ModelConfig;
import dev.veil.model.ModelConfig.Architecture;
import dev.veil.model.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A quick, JMH-free look at whole-model speed (not a test): prefill and decode tokens/s of a Qwen2-0.5B-shaped
 * random model, and decode's effective weight bandwidth. Run from the repository root after
 * {@code mvn -pl engine -am test-compile}:
 * <pre>java --add-modules jdk.incubator.vector -cp model/target/classes:engine/target/classes:engine/target/test-classes \
 *     dev.veil.engine.EngineThroughput [F32|F16|BF16] [threads] [promptTokens] [decodeTokens] [small|250m|0.5b|1b]</pre>
 */
public final class EngineThroughput {

    public static void main(String[] args) {
        DType dtype = DType.valueOf(args.length > 0 ? args[0] : "BF16");
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : Runtime.getRuntime().availableProcessors();
        int prompt = args.length > 2 ? Integer.parseInt(args[2]) : 128;
        int decode = args.length > 3 ? Integer.parseInt(args[3]) : 32;
        String size = args.length > 4 ? args[4] : "0.5b";
        ModelConfig c = switch (size) {
            case "small" -> new ModelConfig(Architecture.LLAMA, 32000, 512, 1408, 8, 8, 4, 64, 1e-6, 10000.0, null, 2048,
                    false, false, 1, List.of(2), "float32");
            case "250m" -> new ModelConfig(Architecture.LLAMA, 32000, 1024, 2816, 16, 16, 4, 64, 1e-5, 10000.0, null, 2048,
                    false, false, 1, List.of(2), "float32");
            case "1b" -> new ModelConfig(Architecture.LLAMA, 32000, 2048, 5632, 22, 32, 4, 64, 1e-5, 10000.0, null, 2048,
                    false, false, 1, List.of(2), "float32"); // TinyLlama-1.1B
            default -> new ModelConfig(Architecture.QWEN2, 151936, 896, 4864, 24, 14, 2, 64, 1e-6, 1000000.0, null, 4096,
                    true, true, -1, List.of(151643), "float32"); // Qwen2-0.5B
        };
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        long bytesPerToken = 0;
        Arena arena = Arena.ofShared();
        float[] pattern = new float[1 << 20];
        SplittableRandom rnd = new SplittableRandom(1);
        for (var e : TestModels.shapes(c).entrySet()) {
            long[] shape = e.getValue();
            long count = Tensor.count(shape);
            boolean vector = shape.length == 1;
            double sigma = vector ? 0.1 : 1 / Math.sqrt(shape[1]);
            for (int i = 0; i < pattern.length; i++) pattern[i] = (float) ((vector && e.getKey().endsWith("norm.weight") ? 1 : 0) + sigma * rnd.nextGaussian());
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
            if (!vector && !e.getKey().equals("model.embed_tokens.weight")) bytesPerToken += count * dtype.bytes;
        }
        if (c.tieWordEmbeddings()) bytesPerToken += (long) c.vocabSize() * c.hiddenSize() * dtype.bytes;
        System.out.printf("%s %s, %.2f GB of weights read per decoded token, %d threads%n", size, dtype, bytesPerToken / 1e9, threads);
        try (Parallel p = new Parallel(threads)) {
            Transformer model = new Transformer(new LocalLinearBackend(c, TestModels.of(tensors), p), p);
            int[] tokens = rnd.ints(prompt, 0, c.vocabSize()).toArray();
            // like llama-bench: pp = one batch of `prompt` tokens into an empty cache; tg = `decode` single tokens from empty
            for (int round = 0; round < 4; round++) {
                long t0 = System.nanoTime();
                model.append(tokens, model.newCache());
                long t1 = System.nanoTime();
                KvCache cache = model.newCache();
                for (int i = 0; i < decode; i++) model.forward(new int[] {i + 5}, cache);
                long t2 = System.nanoTime();
                double decodeSeconds = (t2 - t1) / 1e9;
                System.out.printf("round %d: pp%d %.1f tok/s | tg%d %.2f tok/s = %.1f GB/s of weights%n",
                        round, prompt, prompt / ((t1 - t0) / 1e9), decode, decode / decodeSeconds,
                        bytesPerToken * decode / decodeSeconds / 1e9);
            }
        }
    }
}
