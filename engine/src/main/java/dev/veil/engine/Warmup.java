package dev.veil.engine;

import dev.veil.engine.backend.LocalLinearBackend;
import dev.veil.engine.kernel.Parallel;
import dev.veil.model.DType;
import dev.veil.model.ModelConfig;
import dev.veil.model.RandomModel;
import dev.veil.model.Tensor;
import dev.veil.model.TensorRole;
import dev.veil.model.Weights;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * Compiles the engine's code for a model before its first real prefill. A fresh JVM runs the Vector API kernels
 * interpreted or in C1, where every vector operation allocates (tens to hundreds of times slower than C2's code),
 * until C2 has compiled them; a real model's first prefill is few calls of huge matrices, so it runs most of its work
 * slowly. Here a tiny random model of the same architecture, whose matrices have the real model's float types, runs
 * many short prefills and decode steps (the same methods, on shapes that take microseconds), so C2 compiles them while
 * the real model's files are opened. docs/warm-start.md has the measurements.
 */
public final class Warmup {

    /** Prompt lengths of the rounds, in turn: the short-prompt kernels ({@code RowTiles}, {@code TiledRows}), GEMM. */
    static final int[] PREFILL = {16, 40};

    /** The tiny model's layers at most: one per distinct mix of the real layers' weight types. */
    static final int MAX_LAYERS = 3;

    private static final List<TensorRole> LAYER_MATRICES = List.of(
            TensorRole.Q, TensorRole.K, TensorRole.V, TensorRole.O, TensorRole.GATE, TensorRole.UP, TensorRole.DOWN);

    private Warmup() {}

    /**
     * The weight types the tiny model copies from a real one: per tiny layer the type of each matrix (the distinct
     * mixes of the real layers, in layer order), and the embedding's and LM head's. A mixture-of-experts model's
     * expert 0 stands for its dense twin's MLP.
     */
    record Types(List<Map<TensorRole, DType>> layers, Map<TensorRole, DType> model) {

        /** Every matrix in {@code dtype}, in one layer. */
        static Types uniform(DType dtype) {
            Map<TensorRole, DType> layer = new EnumMap<>(TensorRole.class);
            for (TensorRole r : LAYER_MATRICES) layer.put(r, dtype);
            return new Types(List.of(layer), Map.of(TensorRole.EMBED, dtype, TensorRole.LM_HEAD, dtype));
        }

        /**
         * {@code weights}' types; null when there is nothing to warm: its first layer has no dense or expert down
         * projection, or a matrix is quantized. Quantized models do not gain: on the 0.5B shape's Q4_K_M at two threads
         * the warm-up delayed the first token (median 8.31 s at 10 rounds, 8.91 at 40, against 7.14 without;
         * docs/warm-start.md), since the JIT's compile time, not the code it runs meanwhile, bounds their cold start.
         */
        static Types of(ModelConfig config, Weights weights) {
            LinkedHashSet<Map<TensorRole, DType>> mixes = new LinkedHashSet<>();
            for (int l = 0; l < config.numLayers() && mixes.size() < MAX_LAYERS; l++) {
                Map<TensorRole, DType> mix = new EnumMap<>(TensorRole.class);
                for (TensorRole r : LAYER_MATRICES) {
                    String name = switch (r) {
                        case GATE, UP, DOWN ->
                            weights.contains(r.hf(l)) ? r.hf(l) : expert(r).hf(l, 0);
                        default -> r.hf(l);
                    };
                    if (weights.contains(name)) mix.put(r, weights.get(name).dtype());
                }
                if (l == 0 && !mix.containsKey(TensorRole.DOWN)) return null;
                mixes.add(mix);
            }
            Map<TensorRole, DType> model = new EnumMap<>(TensorRole.class);
            for (TensorRole r : List.of(TensorRole.EMBED, TensorRole.LM_HEAD))
                if (weights.contains(r.hf())) model.put(r, weights.get(r.hf()).dtype());
            boolean quantized = mixes.stream().anyMatch(m -> m.values().stream().anyMatch(DType::isQuantized))
                    || model.values().stream().anyMatch(DType::isQuantized);
            return quantized ? null : new Types(List.copyOf(mixes), model);
        }

        private static TensorRole expert(TensorRole dense) {
            return switch (dense) {
                case GATE -> TensorRole.EXPERT_GATE;
                case UP -> TensorRole.EXPERT_UP;
                default -> TensorRole.EXPERT_DOWN;
            };
        }

        /** The type of the tiny model's tensor {@code name}: its real counterpart's, else F32 (norms, biases). */
        DType of(String name) {
            for (int l = 0; l < layers.size(); l++)
                for (var e : layers.get(l).entrySet()) if (e.getKey().hf(l).equals(name)) return e.getValue();
            for (var e : model.entrySet()) if (e.getKey().hf().equals(name)) return e.getValue();
            return DType.F32;
        }
    }

    /**
     * Starts warming up for {@code config} and {@code weights} on a daemon thread and returns it (join it before the
     * real prefill: both want the cores).
     */
    public static Thread start(ModelConfig config, Weights weights, int rounds) {
        Types types = Types.of(config, weights);
        Thread t = Thread.ofPlatform().daemon().name("veil-warmup").unstarted(() -> {
            if (types == null) return;
            try {
                run(config, types, rounds);
            } catch (RuntimeException e) {
                // it only warms the JIT: the real model's own checks report whatever is wrong with it
            }
        });
        t.start();
        return t;
    }

    /**
     * {@code rounds} prefills ({@link #PREFILL}'s lengths in turn), each followed by one decode step, on one thread;
     * returns the last step's logits. A mixture-of-experts model warms its dense twin (the experts run the same
     * kernels).
     */
    static float[] run(ModelConfig like, Types types, int rounds) {
        ModelConfig tiny = tinyConfig(like, types.layers().size());
        Weights w = tinyWeights(tiny, types);
        try (Parallel one = new Parallel(1)) {
            Transformer t = new Transformer(new LocalLinearBackend(tiny, w, one), one);
            float[] logits = null;
            for (int r = 0; r < rounds; r++) {
                int[] prompt = new int[PREFILL[r % PREFILL.length]];
                for (int i = 0; i < prompt.length; i++) prompt[i] = i % tiny.vocabSize();
                KvCache cache = t.newCache();
                t.forward(prompt, cache);
                logits = t.forward(new int[] {r % tiny.vocabSize()}, cache);
            }
            return logits;
        }
    }

    /** A tiny twin of {@code like} with {@code layers} layers. */
    static ModelConfig tinyConfig(ModelConfig like, int layers) {
        ModelConfig.Architecture arch = like.architecture() == ModelConfig.Architecture.QWEN3_MOE
                ? ModelConfig.Architecture.QWEN3
                : like.architecture();
        return RandomModel.config(
                arch,
                64,
                128,
                256,
                layers,
                4,
                like.numKvHeads() < like.numHeads() ? 2 : 4,
                32,
                null,
                like.tieWordEmbeddings(),
                like.attentionBias(),
                null);
    }

    /** The tiny model's random weights, each matrix stored in its real counterpart's type. */
    static Weights tinyWeights(ModelConfig tiny, Types types) {
        Weights floats = RandomModel.weights(tiny, DType.F32, 1, RandomModel.Scales.DEFAULT);
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (String name : floats.names()) {
            Tensor t = floats.get(name);
            DType d = types.of(name);
            out.put(name, d == DType.F32 ? t : Tensor.of(name, d, t.toFloats(), t.shape()));
        }
        return Weights.of(out);
    }
}
