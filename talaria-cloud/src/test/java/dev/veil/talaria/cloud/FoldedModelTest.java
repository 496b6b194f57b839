package dev.veil.talaria.cloud;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.engine.backend.LocalLinearBackend;
import dev.veil.engine.kernel.Matrix;
import dev.veil.engine.kernel.Parallel;
import dev.veil.model.DType;
import dev.veil.model.ModelConfig;
import dev.veil.model.Tensor;
import dev.veil.model.Weights;
import dev.veil.talaria.protocol.ModelName;
import dev.veil.talaria.protocol.Product;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The folded products equal the local engine's products (which apply γ to the row instead). */
class FoldedModelTest {

    /** One random model of {@code c}, folded for the cloud and on the engine's local backend. */
    record Both(FoldedModel folded, LocalLinearBackend local) {
        static Both of(ModelConfig c, long seed) {
            Weights w = TinyModels.random(c, seed);
            return new Both(FoldedModel.fold(c, w), new LocalLinearBackend(c, w, Parallel.shared()));
        }
    }

    static List<ModelConfig> configs() {
        return List.of(TinyModels.qwen2(), TinyModels.llama());
    }

    @ParameterizedTest
    @MethodSource("configs")
    void everyProductMatchesTheLocalBackend(ModelConfig c) {
        Both m = Both.of(c, 11);
        Random r = new Random(5);
        int n = 3;
        for (ModelName name : ModelName.all(c)) {
            if (name.product() == Product.EMBED) continue;
            float[] x = new float[n * name.inDim(c)];
            for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
            float[] expected = new float[n * name.outDim(c)], actual = new float[expected.length];
            m.local().apply(name.product().op, Math.max(name.layer(), 0), x, n, expected);
            m.folded().get(name).multiply(Parallel.shared(), x, n, actual);
            double scale = 0;
            for (float v : expected) scale = Math.max(scale, Math.abs(v));
            for (int i = 0; i < expected.length; i++)
                assertThat((double) actual[i])
                        .as("%s[%d]", name, i)
                        .isCloseTo(expected[i], org.assertj.core.data.Offset.offset(2e-6 * scale));
        }
    }

    @ParameterizedTest
    @MethodSource("configs")
    void oneHotTimesTheTransposedEmbeddingIsTheLookupExactly(ModelConfig c) {
        Both m = Both.of(c, 12);
        int[] tokens = {0, 7, c.vocabSize() - 1, 7};
        float[] oneHot = new float[tokens.length * c.vocabSize()];
        for (int i = 0; i < tokens.length; i++) oneHot[i * c.vocabSize() + tokens[i]] = 1;
        float[] expected = new float[tokens.length * c.hiddenSize()], actual = new float[expected.length];
        m.local().embed(tokens, expected);
        m.folded().get(ModelName.EMBED).multiply(Parallel.shared(), oneHot, tokens.length, actual);
        assertThat(actual).containsExactly(expected);
    }

    @Test
    void aWrongShapeNamesTheTensor() {
        ModelConfig c = TinyModels.qwen2();
        Weights w = TinyModels.random(c, 1);
        Weights broken = new Weights() {
            public Tensor get(String name) {
                if (name.equals("model.layers.1.mlp.down_proj.weight"))
                    return Tensor.ofFloats(name, new float[64 * 10], 64, 10);
                return w.get(name);
            }

            public Set<String> names() {
                return w.names();
            }
        };
        assertThatThrownBy(() -> FoldedModel.fold(c, broken))
                .hasMessageContaining("model.layers.1.mlp.down_proj.weight")
                .hasMessageContaining("[64, 10]");
    }

    /**
     * The setup authority's products: double accumulation, four rows at a time, 2,048-column blocks. Against a plain
     * double loop, for row counts that leave a remainder and a width spanning three blocks, with γ folded in: equal to
     * the float the double rounds to (the two sum in different orders, so a value may land one ulp apart).
     */
    @Test
    void theAuthoritysExactProductIsThePlainDoubleSum() {
        int out = 7, in = 5000;
        Random r = new Random(3);
        float[] w = new float[out * in], gamma = new float[in];
        for (int i = 0; i < w.length; i++) w[i] = (float) r.nextGaussian();
        for (int i = 0; i < in; i++) gamma[i] = 1 + 0.1f * (float) r.nextGaussian();
        FoldedProduct p = new FoldedProduct(
                new ModelName(Product.DOWN, 0),
                out,
                in,
                new Matrix[] {new Matrix("w", MemorySegment.ofArray(w), DType.F32, out, in)},
                gamma,
                null);
        for (int n : new int[] {1, 4, 6}) {
            float[] x = new float[n * in];
            for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
            float[] got = new float[3 + n * out];
            p.multiplyExact(x, n, got, 3);
            for (int t = 0; t < n; t++)
                for (int o = 0; o < out; o++) {
                    double s = 0;
                    for (int k = 0; k < in; k++) s += (double) (w[o * in + k] * gamma[k]) * x[t * in + k];
                    assertThat(got[3 + t * out + o])
                            .as("row %d, output %d of %d rows", t, o, n)
                            .isCloseTo((float) s, org.assertj.core.data.Offset.offset(Math.ulp((float) s)));
                }
        }
    }
}
