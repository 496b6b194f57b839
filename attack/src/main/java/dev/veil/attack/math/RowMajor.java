package dev.veil.attack.math;

import dev.veil.engine.kernel.MatMul;
import dev.veil.engine.kernel.Matrix;
import dev.veil.engine.kernel.Parallel;
import dev.veil.model.Tensor;
import dev.veil.model.Weights;
import java.util.Arrays;

/** Row-major float matrices for the attacks' weight products, multiplied with the engine's kernels. */
public final class RowMajor {

    private RowMajor() {}

    /** {@code a[n × k] · b[m × k]ᵀ} → {@code [n × m]}. */
    public static float[] timesTransposed(float[] a, int n, int k, float[] b, int m) {
        if (a.length != n * k || b.length != m * k)
            throw new IllegalArgumentException("shapes: a holds " + a.length + " for " + n + "×" + k + ", b holds "
                    + b.length + " for " + m + "×" + k);
        float[] out = new float[n * m];
        MatMul.multiply(Parallel.shared(), a, n, Matrix.of(Tensor.ofFloats("b", b, m, k)), out);
        return out;
    }

    /** {@code a[n × k] · b[k × m]} → {@code [n × m]}. */
    public static float[] times(float[] a, int n, int k, float[] b, int m) {
        return timesTransposed(a, n, k, transpose(b, k, m), m);
    }

    public static float[] transpose(float[] a, int rows, int cols) {
        float[] t = new float[a.length];
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) t[c * rows + r] = a[r * cols + c];
        return t;
    }

    /** {@code a · diag(s)}: column {@code c} times {@code s[c]}. */
    public static float[] scaleColumns(float[] a, int cols, float[] s) {
        float[] out = a.clone();
        for (int i = 0; i < out.length; i++) out[i] *= s[i % cols];
        return out;
    }

    /** Rows {@code from .. to-1} of a matrix with {@code cols} columns. */
    public static float[] rows(float[] a, int cols, int from, int to) {
        return Arrays.copyOfRange(a, from * cols, to * cols);
    }

    /** Rows gathered in the order {@code index} gives. */
    public static float[] gatherRows(float[] a, int cols, int[] index) {
        float[] out = new float[index.length * cols];
        for (int i = 0; i < index.length; i++) System.arraycopy(a, index[i] * cols, out, i * cols, cols);
        return out;
    }

    /** The named 2-D tensor widened to floats, checked to be {@code rows × cols}. */
    public static float[] matrix(Weights w, String name, int rows, int cols) {
        return w.shaped(name, rows, cols).toFloats();
    }

    /** The named 1-D tensor widened to floats, checked to hold {@code n} values. */
    public static float[] vector(Weights w, String name, int n) {
        return w.shaped(name, n).toFloats();
    }

    /** Each row divided by its rms (RMSNorm without weight and without ε). */
    public static float[] rmsNormalised(float[] a, int cols) {
        float[] out = a.clone();
        for (int r = 0; r < a.length / cols; r++) {
            double s = 0;
            for (int c = 0; c < cols; c++) s += (double) a[r * cols + c] * a[r * cols + c];
            double inv = s > 0 ? 1 / Math.sqrt(s / cols) : 0;
            for (int c = 0; c < cols; c++) out[r * cols + c] = (float) (a[r * cols + c] * inv);
        }
        return out;
    }
}
