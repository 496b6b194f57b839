package dev.veil.aloepri.transform;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.aloepri.key.Fp64;
import dev.veil.aloepri.key.KeyStream;
import dev.veil.engine.kernel.Rope;
import org.ejml.data.DMatrixRMaj;
import org.junit.jupiter.api.Test;

class HeadKeyTest {

    private static final int HD = 16;
    private static final double[] INV =
            Rope.of(AttentionTransformTest.config(32, 2, 2, HD, false)).inverseFrequencies();

    @Test
    void queryAndKeyMapsPreserveScoresAndCommuteWithRope() {
        KeyStream rng = KeyStream.fromSeed("headkey");
        HeadKey k = HeadKey.sample(HD, INV, 1, 1e3, rng);
        assertThat(Fp64.maxDeviationFromIdentity(Fp64.mult(k.query(), Fp64.transpose(k.key()))))
                .isLessThan(1e-12);
        assertThat(Fp64.maxDeviationFromIdentity(Fp64.mult(k.value(), k.valueInverse())))
                .isLessThan(1e-9);
        float[] q = Reference.randomVector(HD, 1, rng);
        for (int pos : new int[] {0, 1, 7, 300, 4000}) {
            assertThat(maxDiff(roped(apply(q, k.query()), pos), apply(roped(q, pos), k.query())))
                    .isLessThan(1e-5);
            assertThat(maxDiff(roped(apply(q, k.key()), pos), apply(roped(q, pos), k.key())))
                    .isLessThan(1e-5);
        }
    }

    /**
     * The q_norm key: T orthogonal (the head norm commutes), γ·T = T·γ̃ with γ̃ = QkNormKey's mapped weight (the norm
     * weight moves with it), RoPE commutes, and the pair scaling on γ̃_q, γ̃_k cancels in the score.
     */
    @Test
    void qNormKeyCommutesWithTheNormItsWeightAndRope() {
        KeyStream rng = KeyStream.fromSeed("qknorm");
        QkNormKey layer = QkNormKey.sample(INV, 1, 1e3, rng);
        HeadKey k = HeadKey.qkNorm(HD, layer, rng);
        assertThat(Fp64.maxDeviationFromIdentity(Fp64.mult(k.query(), Fp64.transpose(k.query()))))
                .isLessThan(1e-15);
        float[] gammaQ = Reference.randomVector(HD, 1, rng), gammaK = Reference.randomVector(HD, 1, rng);
        float[] q = Reference.randomVector(HD, 1, rng), kv = Reference.randomVector(HD, 1, rng);
        float[] mappedQ = layer.query(gammaQ), mappedK = layer.key(gammaK);
        for (int pos : new int[] {0, 3, 300}) {
            // plain: RoPE(q ⊙ γ_q); obfuscated: RoPE((q·T) ⊙ γ̃_q) must equal RoPE(q ⊙ γ_q)·T·S
            float[] plainQ = roped(times(q, gammaQ), pos), obfQ = roped(times(apply(q, k.query()), mappedQ), pos);
            float[] plainK = roped(times(kv, gammaK), 0), obfK = roped(times(apply(kv, k.key()), mappedK), 0);
            assertThat(Math.abs(dot(plainQ, plainK) - dot(obfQ, obfK))).isLessThan(1e-4);
            float[] rotated = apply(plainQ, k.query());
            for (int c = 0; c < HD; c++)
                assertThat(Math.abs(obfQ[c] - rotated[c] * layer.scale()[c % (HD / 2)]))
                        .isLessThan(1e-5);
        }
    }

    private static float[] times(float[] a, float[] b) {
        float[] out = new float[a.length];
        for (int i = 0; i < a.length; i++) out[i] = a[i] * b[i];
        return out;
    }

    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += (double) a[i] * b[i];
        return s;
    }

    @Test
    void aBlockPermutationMixingFrequenciesDoesNotCommuteWithRope() {
        HeadKey k = HeadKey.sample(HD, INV, 8, 0, KeyStream.fromSeed("mixing"));
        assertThat(Fp64.maxDeviationFromIdentity(Fp64.mult(k.query(), Fp64.transpose(k.key()))))
                .isLessThan(1e-12);
        float[] q = Reference.randomVector(HD, 1, KeyStream.fromSeed("q"));
        assertThat(maxDiff(roped(apply(q, k.query()), 5), apply(roped(q, 5), k.query())))
                .isGreaterThan(1e-2);
    }

    private static float[] roped(float[] x, int pos) {
        float[] r = x.clone();
        Reference.rope(r, 1, HD, pos, INV);
        return r;
    }

    private static float[] apply(float[] x, DMatrixRMaj t) {
        float[] out = new float[HD];
        for (int c = 0; c < HD; c++) {
            double s = 0;
            for (int r = 0; r < HD; r++) s += x[r] * t.get(r, c);
            out[c] = (float) s;
        }
        return out;
    }

    private static double maxDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }
}
