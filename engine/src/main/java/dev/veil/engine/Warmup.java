package dev.veil.engine;

import dev.veil.engine.backend.LocalLinearBackend;
import dev.veil.engine.kernel.Parallel;
import dev.veil.model.DType;
import dev.veil.model.ModelConfig;
import dev.veil.model.RandomModel;
import dev.veil.model.TensorRole;
import dev.veil.model.Weights;

/**
 * Compiles the engine's code for a model before its first real prefill. A fresh JVM runs the Vector API kernels
 * interpreted or in C1, where every vector operation allocates (tens to hundreds of times slower than C2's code),
 * until C2 has compiled them; a real model's first prefill is few calls of huge matrices, so it runs most of its work
 * slowly. Here a tiny random model of the same architecture and weight dtype runs many short prefills and decode steps
 * (the same methods, on shapes that take microseconds), so C2 compiles them while the real model's files are opened.
 * docs/warm-start.md has the measurements.
 */
public final class Warmup {

    /** Prefill length of each round: long enough to take the batched (GEMM) path, as a prompt does. */
    static final int PREFILL = 16;

    private Warmup() {}

    /**
     * Starts warming up for {@code config} and {@code weights} on a daemon thread and returns it (join it before the
     * real prefill: both want the cores). A dtype the random model cannot hold (a quantized one) warms nothing.
     */
    public static Thread start(ModelConfig config, Weights weights, int rounds) {
        DType dtype = weightDtype(weights);
        Thread t = Thread.ofPlatform().daemon().name("veil-warmup").unstarted(() -> {
            if (dtype == DType.F32 || dtype == DType.F16 || dtype == DType.BF16) {
                try {
                    run(config, dtype, rounds);
                } catch (RuntimeException e) {
                    // it only warms the JIT: the real model's own checks report whatever is wrong with it
                }
            }
        });
        t.start();
        return t;
    }

    /** The dtype of the first layer's down projection (dense or expert 0); null when there is neither. */
    static DType weightDtype(Weights weights) {
        for (String name : new String[] {TensorRole.DOWN.hf(0), TensorRole.EXPERT_DOWN.hf(0, 0)})
            if (weights.contains(name)) return weights.get(name).dtype();
        return null;
    }

    /**
     * {@code rounds} prefills of {@link #PREFILL} tokens, each followed by one decode step, on one thread; returns the
     * last step's logits. A mixture-of-experts model warms its dense twin (the experts run the same kernels).
     */
    public static float[] run(ModelConfig like, DType dtype, int rounds) {
        ModelConfig.Architecture arch = like.architecture() == ModelConfig.Architecture.QWEN3_MOE
                ? ModelConfig.Architecture.QWEN3
                : like.architecture();
        ModelConfig tiny = RandomModel.config(
                arch,
                64,
                128,
                256,
                1,
                4,
                like.numKvHeads() < like.numHeads() ? 2 : 4,
                32,
                null,
                like.tieWordEmbeddings(),
                like.attentionBias(),
                null);
        Weights w = RandomModel.weights(tiny, dtype, 1, RandomModel.Scales.DEFAULT);
        try (Parallel one = new Parallel(1)) {
            Transformer t = new Transformer(new LocalLinearBackend(tiny, w, one), one);
            int[] prompt = new int[PREFILL];
            for (int i = 0; i < PREFILL; i++) prompt[i] = i;
            float[] logits = null;
            for (int r = 0; r < rounds; r++) {
                KvCache cache = t.newCache();
                t.forward(prompt, cache);
                logits = t.forward(new int[] {r % 64}, cache);
            }
            return logits;
        }
    }
}
