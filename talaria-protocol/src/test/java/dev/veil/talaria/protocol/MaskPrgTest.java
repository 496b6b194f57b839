package dev.veil.talaria.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class MaskPrgTest {

    private static final byte[] SEED = new byte[32];

    static {
        for (int i = 0; i < 32; i++) SEED[i] = (byte) (i * 7 + 1);
    }

    @Test
    void derivedStreamsAreAFunctionOfSeedAndLabel() {
        float[] a = MaskPrg.derive(SEED, "m_pub/layer.0.qkv").gaussians(1000, 1.0);
        float[] b = MaskPrg.derive(SEED, "m_pub/layer.0.qkv").gaussians(1000, 1.0);
        float[] c = MaskPrg.derive(SEED, "m_pub/layer.0.o").gaussians(1000, 1.0);
        byte[] other = SEED.clone();
        other[31] ^= 1;
        float[] d = MaskPrg.derive(other, "m_pub/layer.0.qkv").gaussians(1000, 1.0);
        assertThat(b).containsExactly(a);
        assertThat(c).isNotEqualTo(a);
        assertThat(d).isNotEqualTo(a);
        // reading in pieces gives the same stream as reading at once
        MaskPrg p = MaskPrg.derive(SEED, "m_pub/layer.0.qkv");
        float[] pieces = new float[1000];
        p.gaussians(pieces, 0, 333, 1.0);
        p.gaussians(pieces, 333, 667, 1.0);
        // pairs straddling a piece boundary differ, so compare only the first piece exactly
        for (int i = 0; i < 332; i++) assertThat(pieces[i]).isEqualTo(a[i]);
    }

    @Test
    void theGaussianStreamDoesNotDependOnHowItIsSplitIntoCalls() {
        float[] whole = MaskPrg.derive(SEED, "pool/embed").gaussians(3 * 151_669, 1.0);
        MaskPrg rowByRow = MaskPrg.derive(SEED, "pool/embed");
        float[] split = new float[whole.length];
        for (int row = 0; row < 3; row++) rowByRow.gaussians(split, row * 151_669, 151_669, 1.0); // odd lengths
        assertThat(split).containsExactly(whole);
        float[] oneByOne = new float[5];
        MaskPrg single = MaskPrg.derive(SEED, "pool/embed");
        for (int k = 0; k < 5; k++) single.gaussians(oneByOne, k, 1, 1.0);
        assertThat(oneByOne).containsExactly(Arrays.copyOf(whole, 5));
    }

    @Test
    void gaussiansHaveTheRequestedMoments() {
        int n = 400_000;
        float[] g = MaskPrg.fresh().gaussians(n, 3.0);
        double sum = 0, sq = 0, quart = 0;
        for (float v : g) {
            sum += v;
            sq += (double) v * v;
            quart += Math.pow(v / 3.0, 4);
        }
        double mean = sum / n, var = sq / n - mean * mean;
        // standard errors: mean 3/sqrt(n) = 0.0047, variance 9*sqrt(2/n) = 0.02, kurtosis sqrt(96/n) = 0.015
        assertThat(mean).isBetween(-0.025, 0.025);
        assertThat(var).isBetween(9 - 0.1, 9 + 0.1);
        assertThat(quart / n).isBetween(3 - 0.08, 3 + 0.08);
    }

    @Test
    void nextIntIsUniform() {
        MaskPrg p = MaskPrg.fresh();
        int[] counts = new int[7];
        for (int i = 0; i < 70_000; i++) counts[p.nextInt(7)]++;
        for (int c : counts) assertThat(c).isBetween(10_000 - 500, 10_000 + 500);
    }

    @Test
    void seedMustBe32Bytes() {
        assertThatThrownBy(() -> MaskPrg.derive(new byte[16], "x")).hasMessageContaining("seed must be 32 bytes");
    }
}
