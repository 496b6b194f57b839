package dev.veil.bench.talaria;

import dev.veil.model.DType;
import dev.veil.model.ModelConfig;
import dev.veil.model.ModelTensors;
import dev.veil.model.Tensor;
import dev.veil.model.Weights;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** The model Talaria's benchmark runs when given none: Qwen2-shaped, random weights, about the size of Veil's bundled model. */
public final class BenchModels {

    private BenchModels() {}

    /** d = 256, 4 layers, d_ff = 768, 8 heads / 4 kv heads, V = 4096, tied, q/k/v bias: 4.2 M parameters. */
    public static ModelConfig small() {
        return new ModelConfig(ModelConfig.Architecture.QWEN2, 4096, 256, 768, 4, 8, 4, 32, 1e-6, 1_000_000.0, null, 1024,
                true, true, -1, List.of(4095), "float32");
    }

    /** Random F32 weights (N(0, 1/in) linears, norms near 1, small biases) under the Hugging Face names. */
    public static Weights random(ModelConfig c, long seed) {
        Random r = new Random(seed);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        ModelTensors.expected(c).forEach((name, shape) -> {
            float[] v = new float[Math.toIntExact(Tensor.count(shape))];
            boolean norm = name.endsWith("norm.weight");
            double std = name.endsWith(".bias") ? 0.1 : name.equals(ModelTensors.EMBED) ? 0.5 : 1 / Math.sqrt(shape[shape.length - 1]);
            for (int i = 0; i < v.length; i++) v[i] = norm ? 1 + 0.1f * (float) r.nextGaussian() : (float) (std * r.nextGaussian());
            tensors.put(name, Tensor.of(name, DType.F32, v, shape));
        });
        return Weights.of(tensors);
    }
}
