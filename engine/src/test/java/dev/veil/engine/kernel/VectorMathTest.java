package dev.veil.engine.kernel;

import static dev.veil.engine.Close.assertClose;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class VectorMathTest {

    private static float[] random(int n, long seed, double scale) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (scale * r.nextGaussian());
        return v;
    }

    @Test
    void rmsNormOfEachRow() {
        for (int dim : new int[] {1, 15, 16, 37, 256}) {
            float[] x = random(3 * dim, dim, 3);
            float[] out = new float[3 * dim];
            VectorMath.rmsNorm(x, 3, dim, 1e-5, out);
            double[] expected = new double[3 * dim];
            for (int r = 0; r < 3; r++) {
                double ss = 0;
                for (int k = 0; k < dim; k++) ss += (double) x[r * dim + k] * x[r * dim + k];
                double inv = 1 / Math.sqrt(ss / dim + 1e-5);
                for (int k = 0; k < dim; k++) expected[r * dim + k] = x[r * dim + k] * inv;
            }
            assertClose(out, expected, 1e-6, "rmsnorm dim " + dim);
        }
    }

    @Test
    void softmaxSumsToOneAndMatches() {
        for (int len : new int[] {1, 7, 16, 33, 1000}) {
            float[] a = random(len + 2, len, 5);
            float[] copy = a.clone();
            VectorMath.softmax(a, 1, len);
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int i = 1; i <= len; i++) max = Math.max(max, copy[i]);
            for (int i = 1; i <= len; i++) sum += Math.exp(copy[i] - max);
            double[] expected = new double[len + 2];
            expected[0] = copy[0];
            expected[len + 1] = copy[len + 1];
            for (int i = 1; i <= len; i++) expected[i] = Math.exp(copy[i] - max) / sum;
            assertClose(a, expected, 1e-6, "softmax " + len);
        }
    }

    @Test
    void swiGluIsSiluOfGateTimesUp() {
        int dim = 45;
        float[] gu = random(2 * 2 * dim, 3, 4);
        float[] out = new float[2 * dim];
        VectorMath.swiGlu(gu, 2, dim, out);
        double[] expected = new double[2 * dim];
        for (int r = 0; r < 2; r++)
            for (int k = 0; k < dim; k++) {
                double g = gu[2 * r * dim + k], u = gu[2 * r * dim + dim + k];
                expected[r * dim + k] = g / (1 + Math.exp(-g)) * u;
            }
        assertClose(out, expected, 1e-6, "swiglu");
    }

    @Test
    void addWeightedRowsAccumulatesScaledRows() {
        for (int dim : new int[] {5, 16, 40, 64, 100, 128}) {
            int count = 9, stride = dim + 7;
            float[] w = random(count + 2, dim, 1), rows = random(count * stride + 3, dim + 1, 1);
            float[] out = random(dim + 4, 77, 1);
            double[] expected = new double[dim + 4];
            for (int d = 0; d < dim + 4; d++) expected[d] = out[d];
            VectorMath.addWeightedRows(w, 2, count, rows, 3, stride, out, 4, dim);
            for (int d = 0; d < dim; d++)
                for (int s = 0; s < count; s++) expected[4 + d] += (double) w[2 + s] * rows[3 + s * stride + d];
            assertClose(out, expected, 1e-6, "weighted sum dim " + dim);
        }
    }
}
