package dev.veil.engine.kernel;

import static dev.veil.engine.Close.assertClose;
import static dev.veil.engine.kernel.Half.F;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.veil.model.DType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import jdk.incubator.vector.FloatVector;
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
            VectorMath.rmsNorm(x, 0, 3, dim, 1e-5, out);
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
        VectorMath.swiGlu(gu, 0, 2, dim, out);
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

    /**
     * The one BF16 pairs kernel (the engine's mapped rows, the Talaria client's table) on a row stored as a file holds
     * it, starting mid-segment, with the input split from an offset: Σ w·x to float rounding, for lengths with and
     * without a tail past the last vector (a swapped pair, a wrong offset or a lost tail is off by far more).
     */
    @Test
    void dotBF16PairsIsTheDotOfAStoredRowWithItsSplitInput() {
        ValueLayout.OfShort bf16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        for (int cols : new int[] {2, 6, 2 * F.length(), 2 * F.length() + 2, 100, 262}) {
            int lead = 12; // bytes before the row
            float[] x = random(cols, cols, 1), wf = random(cols, cols + 1, 0.1);
            MemorySegment row = Arena.ofAuto().allocate(lead + 2L * cols, 64);
            double expected = 0, scale = 0;
            for (int k = 0; k < cols; k++) {
                short b = DType.toBF16(wf[k]);
                row.set(bf16, lead + 2L * k, b);
                expected += (double) DType.fromBF16(b) * x[k];
                scale += Math.abs((double) DType.fromBF16(b) * x[k]);
            }
            float[] pairs = new float[1 + cols];
            System.arraycopy(VectorMath.splitPairs(x, 1, cols), 0, pairs, 1, cols);
            assertThat((double) VectorMath.dotBF16Pairs(row, lead, pairs, 1, cols / 2))
                    .as("cols " + cols)
                    .isCloseTo(expected, within(1e-5 * scale));
        }
    }

    /** Every input class: the range ends, the over/underflow cut-offs, subnormal results, zeros, infinities, NaN. */
    private static float[] expInputs() {
        float[] x = random(1 << 14, 5, 30);
        float[] edges = {
            0f,
            -0f,
            1f,
            -1f,
            1e-8f,
            -1e-8f,
            0.34657f,
            -0.34658f,
            88.72283f,
            88.7229f,
            88.72f,
            -87.3f,
            -88f,
            -100f,
            -103.97f,
            -103.98f,
            -104f,
            89f,
            -1000f,
            1000f,
            Float.POSITIVE_INFINITY,
            Float.NEGATIVE_INFINITY,
            Float.NaN,
            Float.MAX_VALUE,
            -Float.MAX_VALUE,
            Float.MIN_VALUE
        };
        System.arraycopy(edges, 0, x, 0, edges.length);
        return x;
    }

    @Test
    void expIsWithinThreeUlpOfTheCorrectlyRoundedValue() {
        for (float v : expInputs()) {
            float got = VectorMath.exp(v);
            double want = Math.exp(v);
            if (Double.isNaN(want)) assertThat(got).isNaN();
            else if (want > Float.MAX_VALUE * (1 + 0x1p-25) || want < Float.MIN_VALUE / 2)
                assertThat(got).as("exp(%s)", v).isEqualTo((float) want);
            else if (want < Float.MIN_NORMAL) // subnormal results: the absolute error of a rounding or two
            assertThat((double) got)
                        .as("exp(%s)", v)
                        .isCloseTo(want, org.assertj.core.data.Offset.offset(2.0 * Float.MIN_VALUE));
            else assertThat(Math.abs(got - want)).as("exp(%s)", v).isLessThanOrEqualTo(3 * Math.ulp((float) want));
        }
    }

    /**
     * The point of VectorMath.exp: a lane gives the bits the scalar gives, before and after C2 compiles the vector code.
     * lanewise(EXP) did not (an SVML call once compiled, Math.exp before; about 1% of lanes differed).
     */
    @Test
    void expGivesTheSameBitsInALaneAndInAScalarBeforeAndAfterCompilation() {
        float[] x = expInputs();
        float[] scalar = new float[x.length];
        for (int i = 0; i < x.length; i++) scalar[i] = VectorMath.exp(x[i]);
        float[] lanes = new float[x.length];
        for (int round = 0; round < 300; round++) { // enough calls for C2 to compile exp(FloatVector)
            for (int i = 0; i < x.length; i += F.length())
                VectorMath.exp(FloatVector.fromArray(F, x, i)).intoArray(lanes, i);
            if (round == 0 || round == 299)
                for (int i = 0; i < x.length; i++)
                    assertThat(Float.floatToRawIntBits(lanes[i]) == Float.floatToRawIntBits(scalar[i])
                                    || Float.isNaN(lanes[i]) && Float.isNaN(scalar[i]))
                            .as("round %d, exp(%s): lane %s, scalar %s", round, x[i], lanes[i], scalar[i])
                            .isTrue();
        }
    }
}
