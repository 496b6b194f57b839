package dev.veil.talaria.authority;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.engine.kernel.Parallel;
import dev.veil.model.ModelConfig;
import dev.veil.talaria.cloud.FoldedModel;
import dev.veil.talaria.cloud.FoldedProduct;
import dev.veil.talaria.cloud.TinyModels;
import dev.veil.talaria.protocol.MaskPrg;
import dev.veil.talaria.protocol.MaskSpec;
import dev.veil.talaria.protocol.ModelName;
import dev.veil.talaria.protocol.Product;
import dev.veil.talaria.protocol.SetupBundle;
import dev.veil.talaria.protocol.SetupPlan;
import dev.veil.talaria.protocol.SetupRequest;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The setup authority's material removes masks exactly and makes honest replies pass the Freivalds check. */
class SetupAuthorityTest {

    static final ModelConfig C = TinyModels.qwen2();

    @Test
    void rPubUnmasksAReMOMaskedRowAndChecksHold() {
        FoldedModel model = FoldedModel.fold(C, TinyModels.random(C, 4));
        byte[] seed = MaskPrg.newSeed();
        SetupPlan plan = new SetupPlan(MaskSpec.remo(0.5), MaskSpec.pool(4), 2);
        SetupBundle bundle = new SetupAuthority(model).compute(new SetupRequest(seed, plan));
        Random r = new Random(9);
        for (ModelName name :
                new ModelName[] {new ModelName(Product.QKV, 1), new ModelName(Product.DOWN, 0), ModelName.LM_HEAD}) {
            FoldedProduct p = model.get(name);
            int in = p.inDim(), out = p.outDim(), m = plan.hidden().rankFor(in);
            float[] basis = MaskPrg.derive(seed, SetupPlan.basisLabel(name)).gaussians(m * in, 1.0);
            float[] x = new float[in], coeff = new float[m];
            for (int i = 0; i < in; i++) x[i] = (float) r.nextGaussian();
            for (int j = 0; j < m; j++) coeff[j] = (float) (r.nextGaussian() * 10 / Math.sqrt(m));
            float[] z = x.clone();
            for (int j = 0; j < m; j++) for (int i = 0; i < in; i++) z[i] += coeff[j] * basis[j * in + i];
            float[] y = new float[out], plain = new float[out];
            p.multiply(Parallel.shared(), z, 1, y);
            p.multiply(Parallel.shared(), x, 1, plain);
            float[] rPub = bundle.get(name).rPub();
            assertThat(rPub).hasSize(m * out);
            double worst = 0, scale = 0;
            for (int o = 0; o < out; o++) {
                double correction = 0;
                for (int j = 0; j < m; j++) correction += (double) coeff[j] * rPub[j * out + o];
                worst = Math.max(worst, Math.abs(y[o] - correction - plain[o]));
                scale = Math.max(scale, Math.abs(plain[o]));
            }
            // the mask is 10x the row, so the unmasked product carries ~10x the product's own float rounding
            assertThat(worst).as(name.toString()).isLessThan(2e-5 * scale);
            // Freivalds: y·v = z·(Wᵀv) + b·v for both check vectors
            float[] v = MaskPrg.derive(seed, SetupPlan.checkLabel(name)).gaussians(2 * out, 1.0);
            for (int k = 0; k < 2; k++) {
                double lhs = 0, rhs = bundle.get(name).checkB()[k], norm = 0;
                for (int o = 0; o < out; o++) {
                    lhs += (double) y[o] * v[k * out + o];
                    norm += (double) y[o] * y[o];
                }
                for (int i = 0; i < in; i++)
                    rhs += (double) z[i] * bundle.get(name).checkW()[k * in + i];
                assertThat(Math.abs(lhs - rhs)).isLessThan(1e-5 * Math.sqrt(norm));
            }
        }
    }

    @Test
    void aSetupTooLargeForOneReplyIsRefusedBeforeAnyWork() {
        FoldedModel model = FoldedModel.fold(C, TinyModels.random(C, 4));
        var plan = new SetupPlan(MaskSpec.pool(3_000_000), MaskSpec.pool(4), 1);
        assertThatThrownBy(() -> new SetupAuthority(model).compute(new SetupRequest(new byte[32], plan)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("GB (more than one reply can carry")
                .hasMessageContaining("--mask pool:N");
    }

    @Test
    void poolProductsMatchTheSeededRows() {
        FoldedModel model = FoldedModel.fold(C, TinyModels.random(C, 4));
        byte[] seed = MaskPrg.newSeed();
        SetupPlan plan = new SetupPlan(MaskSpec.NONE, MaskSpec.pool(3), 0);
        SetupBundle bundle = new SetupAuthority(model).compute(new SetupRequest(seed, plan));
        FoldedProduct embed = model.get(ModelName.EMBED);
        MaskPrg rows = MaskPrg.derive(seed, SetupPlan.poolLabel(ModelName.EMBED));
        for (int j = 0; j < 3; j++) {
            float[] row = rows.gaussians(embed.inDim(), 1.0);
            float[] expected = new float[embed.outDim()];
            embed.multiply(Parallel.shared(), row, 1, expected);
            for (int o = 0; o < expected.length; o++)
                assertThat((double) bundle.get(ModelName.EMBED).poolU()[j * expected.length + o])
                        .isCloseTo(expected[o], org.assertj.core.data.Offset.offset(1e-4));
        }
        assertThat(bundle.get(new ModelName(Product.O, 0)).rPub()).isEmpty();
    }
}
