package dev.veil.train.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.model.ModelConfig;
import dev.veil.train.nn.GradCheck;
import dev.veil.train.nn.Mse;
import dev.veil.train.nn.Tape;
import dev.veil.train.nn.Var;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The whole model's backward pass against finite differences of its loss, for weights and for inputs. */
class TransformerTest {
    private static final int BATCH = 2, SEQ = 5;

    @Test
    void qwen2WeightGradientsMatchFiniteDifferences() {
        checkAllWeights(TinyModels.qwen2(11, 16));
    }

    @Test
    void llamaUntiedWeightGradientsMatchFiniteDifferences() {
        checkAllWeights(TinyModels.llama(11, 16));
    }

    @Test
    void qwen3WeightGradientsMatchFiniteDifferences() {
        Transformer model = checkAllWeights(TinyModels.qwen3(11, 16));
        assertThat(model.parameter("model.layers.1.self_attn.k_norm.weight").shape())
                .containsExactly(6);
        assertThat(model.parameter("model.layers.1.self_attn.q_norm.weight").grad())
                .as("q_norm takes part")
                .isNotEqualTo(new float[6]);
    }

    @Test
    void qwen3MoeWeightGradientsMatchFiniteDifferences() {
        Transformer model = checkAllWeights(TinyModels.qwen3Moe(11, 16));
        assertThat(model.parameter("model.layers.1.mlp.gate.weight").grad())
                .as("the router learns")
                .isNotEqualTo(new float[4 * 8]);
        assertThat(model.parameter("model.layers.0.mlp.gate_proj.weight").shape())
                .containsExactly(12, 8); // mlp_only_layers: dense
    }

    /** A Qwen3-MoE model as the tape computes it and as the engine does (its own router and expert code). */
    @Test
    void qwen3MoeLogitsEqualTheEngines() {
        var experts = new ModelConfig.Moe(8, 2, 24, true, 1, java.util.List.of());
        ModelConfig c = ModelConfig.of(ModelConfig.Architecture.QWEN3_MOE, 37, 32, 48, 2, 4, 2, 16, experts)
                .withNorm(1e-6, 1000000.0, null)
                .withTokens(96, true, false, 0, java.util.List.of(0));
        assertEngineAgrees(randomized(c, 10), 40);
    }

    /** A Qwen3 model as the tape computes it and as the inference engine (its own q/k-norm code) computes it. */
    @Test
    void qwen3LogitsEqualTheEngines() {
        ModelConfig c = ModelConfig.of(ModelConfig.Architecture.QWEN3, 37, 32, 48, 2, 4, 2, 16)
                .withNorm(1e-6, 1000000.0, null)
                .withTokens(96, true, false, 0, java.util.List.of(0));
        assertEngineAgrees(randomized(c, 6), 70); // 70: more than one block of attention rows
    }

    private static void assertEngineAgrees(Transformer model, int seq) {
        ModelConfig c = model.config();
        int[] tokens = new Random(7).ints(seq, 0, c.vocabSize()).toArray();
        float[] ours = model.logits(Tape.inference(), tokens, 1, seq).value();
        java.util.Map<String, dev.veil.model.Tensor> tensors = new java.util.LinkedHashMap<>();
        for (dev.veil.model.Tensor t : model.tensors(dev.veil.model.DType.F32)) tensors.put(t.name(), t);
        try (var parallel = new dev.veil.engine.kernel.Parallel(2);
                var backend = new dev.veil.engine.backend.LocalLinearBackend(
                        c, dev.veil.model.Weights.of(tensors), parallel)) {
            dev.veil.engine.Transformer engine = new dev.veil.engine.Transformer(backend);
            float[] theirs = engine.forwardAll(tokens, engine.newCache());
            double maxDiff = 0, maxAbs = 0;
            for (int i = 0; i < ours.length; i++) {
                maxDiff = Math.max(maxDiff, Math.abs(ours[i] - theirs[i]));
                maxAbs = Math.max(maxAbs, Math.abs(ours[i]));
            }
            assertThat(maxAbs).isGreaterThan(1.0);
            // the same float32 arithmetic in other summation orders
            assertThat(maxDiff)
                    .as("largest logit difference (largest %.2f)", maxAbs)
                    .isLessThan(1e-5 * maxAbs);
        }
    }

    /** Arrays reused from a pool (the trainer's) give the bits fresh ones give, also after another pass dirtied them. */
    @Test
    void aPooledTapeGivesTheSameLossAndGradients() {
        Transformer model = randomized(TinyModels.qwen3(11, 16), 8);
        Random rnd = new Random(9);
        int[] inputs = rnd.ints(BATCH * SEQ, 0, 11).toArray(),
                targets = rnd.ints(BATCH * SEQ, 0, 11).toArray();
        int[] other = rnd.ints(BATCH * SEQ, 0, 11).toArray();
        float[][] fresh = lossAndGradients(model, new Tape(), inputs, targets);
        dev.veil.train.nn.FloatPool pool = new dev.veil.train.nn.FloatPool();
        lossAndGradients(model, new Tape(pool), other, targets);
        pool.reclaim();
        float[][] pooled = lossAndGradients(model, new Tape(pool), inputs, targets);
        assertThat(pooled).isDeepEqualTo(fresh);
    }

    private static float[][] lossAndGradients(Transformer model, Tape tape, int[] inputs, int[] targets) {
        model.parameters().forEach(Parameter::zeroGrad);
        Var loss = model.loss(tape, inputs, targets, BATCH, SEQ);
        tape.backward(loss);
        java.util.List<float[]> out = new java.util.ArrayList<>(java.util.List.of(new float[] {loss.item()}));
        for (Parameter p : model.parameters()) out.add(p.grad().clone());
        return out.toArray(float[][]::new);
    }

    @Test
    void inputGradientsThroughFrozenLayersMatchFiniteDifferences() {
        // gradient-based inversion: which embeddings would produce this layer-1 hidden state?
        Transformer model = randomized(TinyModels.qwen2(11, 16), 3);
        model.setTrainable(false);
        Random rnd = new Random(5);
        int hidden = model.config().hiddenSize();
        Var x = Var.variable(GradCheck.random(rnd, BATCH * SEQ * hidden, 0.5), BATCH * SEQ, hidden);
        Var target = Var.constant(GradCheck.random(rnd, BATCH * SEQ * hidden, 0.5), BATCH * SEQ, hidden);
        GradCheck.check(t -> Mse.mean(t, model.blocks(t, x, BATCH, SEQ, 0, 1), target), 3e-3, 5e-3, x);
        assertThat(model.parameter("model.layers.0.mlp.up_proj.weight").grad()).containsOnly(0f);
    }

    @Test
    void logitsAtAPositionDoNotDependOnLaterTokens() {
        Transformer model = randomized(TinyModels.llama(11, 16), 4);
        int[] a = {1, 2, 3, 4, 5}, b = {1, 2, 3, 9, 0};
        float[] la = model.logits(Tape.inference(), a, 1, 5).value();
        float[] lb = model.logits(Tape.inference(), b, 1, 5).value();
        assertThat(Arrays.copyOf(lb, 3 * 11)).containsExactly(Arrays.copyOf(la, 3 * 11));
        assertThat(Arrays.copyOfRange(lb, 3 * 11, 4 * 11)).isNotEqualTo(Arrays.copyOfRange(la, 3 * 11, 4 * 11));
    }

    @Test
    void initializationFollowsTheSeedAndHuggingFaceShapes() {
        ModelConfig c = TinyModels.qwen2(11, 16);
        Transformer a = Transformer.initialize(c, 7),
                b = Transformer.initialize(c, 7),
                other = Transformer.initialize(c, 8);
        assertThat(a.parameter("model.layers.1.self_attn.k_proj.weight").value())
                .containsExactly(
                        b.parameter("model.layers.1.self_attn.k_proj.weight").value())
                .isNotEqualTo(other.parameter("model.layers.1.self_attn.k_proj.weight")
                        .value());
        assertThat(a.parameter("model.layers.0.self_attn.q_proj.weight").shape())
                .containsExactly(12, 8);
        assertThat(a.parameter("model.layers.0.self_attn.o_proj.weight").shape())
                .containsExactly(8, 12);
        assertThat(a.parameter("model.layers.0.self_attn.v_proj.bias").value()).containsOnly(0f);
        assertThat(a.parameter("model.norm.weight").value()).containsOnly(1f);
        assertThatThrownBy(() -> a.parameter("lm_head.weight")).hasMessage("no parameter lm_head.weight");
        // 11·8 embeddings + 2 layers · (8+8 norms + 96+48+48 qkv + 12+6+6 bias + 96 o + 3·96 mlp) + 8 final norm
        assertThat(a.parameterCount()).isEqualTo(88 + 2 * (16 + 192 + 24 + 96 + 288) + 8);
    }

    private static Transformer randomized(ModelConfig c, long seed) {
        Transformer m = Transformer.initialize(c, seed);
        Random rnd = new Random(seed);
        for (Parameter p : m.parameters()) {
            float[] v = p.value();
            for (int i = 0; i < v.length; i++)
                v[i] = (p.name().endsWith("norm.weight") ? 1f : 0f) + (float) (rnd.nextGaussian() * 0.4);
        }
        return m;
    }

    private static Transformer checkAllWeights(ModelConfig c) {
        Transformer model = randomized(c, 1);
        Random rnd = new Random(2);
        int[] inputs = new int[BATCH * SEQ], targets = new int[BATCH * SEQ];
        for (int i = 0; i < inputs.length; i++) {
            inputs[i] = rnd.nextInt(c.vocabSize());
            targets[i] = i == 3 ? -1 : rnd.nextInt(c.vocabSize());
        }
        model.parameters().forEach(Parameter::zeroGrad);
        Tape tape = new Tape();
        tape.backward(model.loss(tape, inputs, targets, BATCH, SEQ));
        double eps = 3e-3;
        int checked = 0;
        for (Parameter p : model.parameters()) {
            float[] w = p.value();
            for (int i = 0; i < w.length; i++) {
                float saved = w[i];
                w[i] = (float) (saved + eps);
                double plus = model.loss(Tape.inference(), inputs, targets, BATCH, SEQ)
                        .item();
                w[i] = (float) (saved - eps);
                double minus = model.loss(Tape.inference(), inputs, targets, BATCH, SEQ)
                        .item();
                w[i] = saved;
                double numeric = (plus - minus) / (2 * eps);
                assertThat(Math.abs(numeric - p.grad()[i]))
                        .as("%s[%d]: numeric %.6f vs analytic %.6f", p.name(), i, numeric, p.grad()[i])
                        .isLessThanOrEqualTo(5e-3 * Math.max(1.0, Math.abs(p.grad()[i])));
                checked++;
            }
        }
        assertThat(checked).isEqualTo(model.parameterCount());
        return model;
    }
}
