package dev.veil.train.nn.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

class VecOpsTest {

    @Test
    void sumsAgreeWithDoublePrecision() {
        Random rnd = new Random(4);
        float[] a = new float[1000];
        double sumExp = 0;
        for (int i = 0; i < a.length; i++) a[i] = (float) rnd.nextGaussian();
        for (int i = 3; i < 1000; i++) sumExp += Math.exp(a[i] - 2.0);
        assertThat((double) VecOps.sumExp(a, 3, 997, 2f))
                .isCloseTo(sumExp, org.assertj.core.data.Offset.offset(1e-4 * sumExp));
        assertThat(VecOps.max(a, 0, 1000)).isEqualTo(max(a));
    }

    @Test
    void softmaxAndSwiGluMatchTheirDefinitionsInDouble() {
        Random rnd = new Random(5);
        float[] x = new float[37], g = new float[37], u = new float[37], out = new float[37];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (3 * rnd.nextGaussian());
            g[i] = (float) (3 * rnd.nextGaussian());
            u[i] = (float) rnd.nextGaussian();
        }
        float[] p = x.clone();
        VecOps.scaledSoftmax(p, 2, 35, 0.125f);
        double z = 0;
        for (int i = 2; i < 37; i++) z += Math.exp(0.125 * x[i]);
        for (int i = 2; i < 37; i++)
            assertThat((double) p[i]).isCloseTo(Math.exp(0.125 * x[i]) / z, org.assertj.core.data.Offset.offset(1e-6));
        assertThat(p[0]).isEqualTo(x[0]); // outside the row: untouched
        VecOps.swiGlu(g, u, out, 1, 37);
        for (int i = 1; i < 37; i++)
            assertThat((double) out[i])
                    .isCloseTo(g[i] / (1 + Math.exp(-g[i])) * u[i], org.assertj.core.data.Offset.offset(1e-5));
        assertThat(out[0]).isZero();
    }

    private static float max(float[] a) {
        float m = Float.NEGATIVE_INFINITY;
        for (float x : a) m = Math.max(m, x);
        return m;
    }
}
