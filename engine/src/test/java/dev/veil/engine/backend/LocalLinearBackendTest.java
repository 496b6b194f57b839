package dev.veil.engine.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.engine.LinearOp;
import dev.veil.engine.TestModels;
import dev.veil.engine.kernel.MatMul;
import dev.veil.engine.kernel.MatMul.Batching;
import dev.veil.engine.kernel.Matrix;
import dev.veil.engine.kernel.Parallel;
import dev.veil.model.DType;
import dev.veil.model.ModelConfig;
import dev.veil.model.Tensor;
import dev.veil.model.Weights;
import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LocalLinearBackendTest {

    private static Map<String, Tensor> tensors(Weights w) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (String n : w.names()) m.put(n, w.get(n));
        return m;
    }

    /** QKV = (x ∘ γ_in) · [Wq; Wk; Wv]ᵀ + [bq | bk | bv]: the backend applies the norm weight and the biases. */
    @Test
    void qkvAppliesTheNormWeightAndBiases() {
        ModelConfig c = TestModels.qwen2();
        Weights w = TestModels.random(c, DType.BF16, 3);
        float[] x = new float[c.hiddenSize()];
        for (int i = 0; i < x.length; i++) x[i] = (float) Math.cos(i);
        float[] out = new float[LinearOp.QKV.outDim(c)];
        new LocalLinearBackend(c, w, Parallel.shared()).apply(LinearOp.QKV, 1, x, 1, out);
        float[] gamma = w.get("model.layers.1.input_layernorm.weight").toFloats();
        int at = 0;
        for (String p : new String[] {"q_proj", "k_proj", "v_proj"}) {
            Tensor m = w.get("model.layers.1.self_attn." + p + ".weight");
            float[] bias = w.get("model.layers.1.self_attn." + p + ".bias").toFloats();
            for (int r = 0; r < m.rows(); r++) {
                double s = bias[r];
                for (int k = 0; k < m.cols(); k++) s += (double) m.getFloat((long) r * m.cols() + k) * x[k] * gamma[k];
                assertThat((double) out[at + r])
                        .as("%s row %d", p, r)
                        .isCloseTo(s, org.assertj.core.data.Offset.offset(1e-5));
            }
            at += m.rows();
        }
    }

    /** Tied embeddings: the LM head multiplies by embed_tokens after the final norm weight. */
    @Test
    void tiedLmHeadUsesTheEmbedding() {
        ModelConfig c = TestModels.qwen2();
        Weights w = TestModels.random(c, DType.F32, 4);
        float[] x = new float[c.hiddenSize()];
        x[3] = 1;
        float[] logits = new float[c.vocabSize()];
        new LocalLinearBackend(c, w, Parallel.shared()).apply(LinearOp.LM_HEAD, 0, x, 1, logits);
        float g3 = w.get("model.norm.weight").getFloat(3);
        Tensor e = w.get("model.embed_tokens.weight");
        for (int v = 0; v < c.vocabSize(); v++)
            assertThat(logits[v]).isEqualTo(g3 * e.getFloat((long) v * c.hiddenSize() + 3));
    }

    @Test
    void embedWidensRows() {
        ModelConfig c = TestModels.llama();
        Weights w = TestModels.random(c, DType.F16, 5);
        float[] out = new float[2 * c.hiddenSize()];
        new LocalLinearBackend(c, w, Parallel.shared()).embed(new int[] {7, 299}, out);
        Tensor e = w.get("model.embed_tokens.weight");
        assertThat(Arrays.copyOfRange(out, c.hiddenSize(), 2 * c.hiddenSize())).containsExactly(e.row(299));
        assertThat(Arrays.copyOf(out, c.hiddenSize())).containsExactly(e.row(7));
    }

    @Test
    void missingTensorIsNamed() {
        ModelConfig c = TestModels.llama();
        Map<String, Tensor> m = tensors(TestModels.random(c, DType.F32, 6));
        m.remove("model.layers.1.mlp.up_proj.weight");
        assertThatThrownBy(() -> new LocalLinearBackend(c, TestModels.of(m), Parallel.shared()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("missing tensor 'model.layers.1.mlp.up_proj.weight'");
        Map<String, Tensor> untied = tensors(TestModels.random(c, DType.F32, 6));
        untied.remove("lm_head.weight");
        assertThatThrownBy(() -> new LocalLinearBackend(c, TestModels.of(untied), Parallel.shared()))
                .hasMessage("missing tensor 'lm_head.weight'");
    }

    @Test
    void wrongShapeAndDtypeAreNamed() {
        ModelConfig c = TestModels.oddHeadDim();
        Map<String, Tensor> m = tensors(TestModels.random(c, DType.F32, 7));
        m.put(
                "model.layers.0.self_attn.o_proj.weight",
                Tensor.ofFloats("model.layers.0.self_attn.o_proj.weight", new float[40 * 40], 40, 40));
        assertThatThrownBy(() -> new LocalLinearBackend(c, TestModels.of(m), Parallel.shared()))
                .hasMessage(
                        "tensor model.layers.0.self_attn.o_proj.weight has shape [40, 40] but config.json implies [40, 80]");
        Map<String, Tensor> ints = tensors(TestModels.random(c, DType.F32, 7));
        String name = "model.layers.1.mlp.down_proj.weight";
        ints.put(
                name,
                new Tensor(name, DType.I32, new long[] {40, 72}, Arena.ofAuto().allocate(40 * 72 * 4)));
        assertThatThrownBy(() -> new LocalLinearBackend(c, TestModels.of(ints), Parallel.shared()))
                .hasMessage("tensor " + name
                        + " has dtype I32; the engine multiplies F32, F16, BF16, Q8_0, Q5_0, Q4_K and Q6_K weights");
    }

    @Test
    void badLayerIsNamed() {
        ModelConfig c = TestModels.mha();
        var b = new LocalLinearBackend(c, TestModels.random(c, DType.F32, 8), Parallel.shared());
        assertThatThrownBy(() -> b.apply(LinearOp.O, 3, new float[64], 1, new float[64]))
                .hasMessage("layer 3 is outside [0, 3)");
    }

    /**
     * Quantized matrices get their decode layout at the first product that streams rows: a prompt of 8 tokens or more
     * and the head's first row (the first token) dequantize from the mapping, so the first token comes before the
     * repacking; a backend batching invariantly never repacks, even when asked to prepare for decode (a server does).
     * The products read the packed tiles from then on.
     */
    @Test
    void quantizedMatricesAreRepackedAtTheFirstProductThatStreamsRows() {
        ModelConfig c = TestModels.mha();
        Weights w = quantized(c, DType.Q8_0);
        int n = 10, qkv = LinearOp.QKV.outDim(c);
        float[] x = new float[n * c.hiddenSize()];
        for (int i = 0; i < x.length; i++) x[i] = (float) Math.sin(0.3 * i);
        float[] one = Arrays.copyOf(x, c.hiddenSize());
        Parallel p = Parallel.shared();

        var backend = new LocalLinearBackend(c, w, p);
        var invariant = new LocalLinearBackend(c, w, p, Batching.INVARIANT);
        for (var b : new LocalLinearBackend[] {backend, invariant}) {
            b.apply(LinearOp.QKV, 0, x, n, new float[n * qkv]);
            b.apply(LinearOp.LM_HEAD, 0, one, 1, new float[c.vocabSize()]);
        }
        assertThat(backend.decodeLayout())
                .as("after a 10-token prompt and the first token")
                .isFalse();
        float[] decoded = new float[qkv];
        backend.apply(LinearOp.QKV, 2, one, 1, decoded);
        assertThat(backend.decodeLayout()).as("after a decode step").isTrue();
        invariant.apply(LinearOp.QKV, 2, one, 1, new float[qkv]);
        invariant.prepareDecode();
        assertThat(invariant.decodeLayout()).as("invariant batching").isFalse();
        var prepared = new LocalLinearBackend(c, w, p);
        prepared.prepareDecode();
        assertThat(prepared.decodeLayout()).as("prepared for decode").isTrue();

        float[] normed = one.clone();
        float[] gamma = w.get("model.layers.2.input_layernorm.weight").toFloats();
        for (int i = 0; i < normed.length; i++) normed[i] *= gamma[i];
        Matrix[] stack = Arrays.stream(new String[] {"q_proj", "k_proj", "v_proj"})
                .map(m -> Matrix.of(w.get("model.layers.2.self_attn." + m + ".weight"))
                        .inHugePages(p))
                .toArray(Matrix[]::new);
        assertThat(stack[0].packed()).isNotNull();
        float[] expected = new float[qkv];
        MatMul.multiply(p, normed, 1, stack, expected, Batching.FASTEST);
        assertThat(decoded).containsExactly(expected);
    }

    private static Weights quantized(ModelConfig c, DType type) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        Weights floats = TestModels.random(c, DType.F32, 10);
        for (String n : floats.names()) {
            Tensor t = floats.get(n);
            m.put(n, t.rank() == 1 ? t : Tensor.of(n, type, t.toFloats(), t.shape()));
        }
        return TestModels.of(m);
    }

    /**
     * A quantized head's first one-row product (a fresh process's first token, right after its prompt) is the prompt
     * kernel's ({@link Batching#INVARIANT}'s tiles); every later one the one-row kernel's ({@link Batching#FASTEST}).
     */
    @Test
    void quantizedHeadsFirstRowTakesThePromptKernel() {
        ModelConfig c = TestModels.mha();
        Weights w = quantized(c, DType.Q8_0);
        float[] x = new float[c.hiddenSize()];
        for (int i = 0; i < x.length; i++) x[i] = (float) Math.sin(1.7 * i);
        Parallel p = Parallel.shared();
        var backend = new LocalLinearBackend(c, w, p);
        float[] first = new float[c.vocabSize()], second = new float[c.vocabSize()];
        backend.apply(LinearOp.LM_HEAD, 0, x, 1, first);
        backend.apply(LinearOp.LM_HEAD, 0, x, 1, second);

        float[] normed = x.clone();
        float[] gamma = w.get("model.norm.weight").toFloats();
        for (int i = 0; i < normed.length; i++) normed[i] *= gamma[i];
        String head = w.contains("lm_head.weight") ? "lm_head.weight" : "model.embed_tokens.weight";
        Matrix h = Matrix.of(w.get(head)).inHugePages(p);
        float[] tiled = new float[c.vocabSize()], rowKernel = new float[c.vocabSize()];
        MatMul.multiply(p, normed, 1, new Matrix[] {h}, tiled, Batching.INVARIANT);
        MatMul.multiply(p, normed, 1, new Matrix[] {h}, rowKernel, Batching.FASTEST);
        assertThat(tiled).as("the two kernels sum in different orders").isNotEqualTo(rowKernel);
        assertThat(first).containsExactly(tiled);
        assertThat(second).containsExactly(rowKernel);
    }
}
