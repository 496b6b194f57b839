package dev.veil.talaria.cloud;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.engine.kernel.Parallel;
import dev.veil.talaria.protocol.ModelName;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The embedding product at a real vocabulary size (Qwen's 151,669 ids): the cloud's reply for a one-hot row under the
 * default pool mask (rms 2 per coordinate), unmasked the way the client does it, must give the embedding row to about
 * one rounding of the reply, not to the ~√V roundings a plain float sum accumulates.
 */
class EmbeddingExactnessTest {

    static final int V = 151_669, D = 16, TOKEN = 98_765;
    static final float SIGMA = 2f;

    @Test
    void aMaskedOneHotRowUnmasksToTheEmbeddingRowAtV151669() {
        SplittableRandom rnd = new SplittableRandom(11);
        float[] embedT = new float[D * V]; // Eᵀ, as the cloud stores it
        for (int i = 0; i < embedT.length; i++) embedT[i] = (float) (rnd.nextGaussian() * 0.02);
        float[] r = new float[V];
        for (int v = 0; v < V; v++) r[v] = (float) rnd.nextGaussian();
        float[] z = new float[V]; // what the client sends: e_t + σ·r, in float as ProductMasker adds it
        for (int v = 0; v < V; v++) z[v] = SIGMA * r[v];
        z[TOKEN] += 1f;
        float[] correction = new float[D]; // σ·u with u = r·Eᵀ from the setup authority (double, sent as float)
        for (int c = 0; c < D; c++) {
            double u = 0;
            for (int v = 0; v < V; v++) u += (double) r[v] * embedT[c * V + v];
            correction[c] = SIGMA * (float) u;
        }
        try (Parallel parallel = new Parallel(2)) {
            double compensated = worstError(
                    FoldedProduct.compensated(ModelName.EMBED, D, V, embedT), parallel, z, correction, embedT);
            double plain =
                    worstError(new FoldedProduct(ModelName.EMBED, D, V, embedT, null), parallel, z, correction, embedT);
            float[] reply = new float[D];
            FoldedProduct.compensated(ModelName.EMBED, D, V, embedT).multiply(parallel, z, 1, reply);
            float largest = 0;
            for (float y : reply) largest = Math.max(largest, Math.abs(y));
            System.out.printf(
                    "embedding row at V=%d: worst |error| %.3g compensated, %.3g plain float sum (reply up to %.3g, "
                            + "its ulp %.3g)%n",
                    V, compensated, plain, largest, Math.ulp(largest));
            // the reply and the correction are each rounded once to float, the products once each: a few ulps of the
            // reply
            assertThat(compensated).isLessThan(4 * Math.ulp(largest));
            assertThat(plain).isGreaterThan(10 * compensated);
        }
    }

    private static double worstError(
            FoldedProduct embed, Parallel parallel, float[] z, float[] correction, float[] embedT) {
        float[] reply = new float[D];
        embed.multiply(parallel, z, 1, reply);
        double worst = 0;
        for (int c = 0; c < D; c++)
            worst = Math.max(worst, Math.abs((reply[c] - correction[c]) - embedT[c * V + TOKEN]));
        return worst;
    }
}
