package dev.veil.aloepri.transform;

import dev.veil.engine.kernel.MatMul;
import dev.veil.engine.kernel.Matrix;
import dev.veil.engine.kernel.Parallel;
import dev.veil.model.DType;
import dev.veil.model.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.List;
import org.ejml.data.DMatrixRMaj;

/**
 * A row-major float matrix: a weight in the Hugging Face layout ([out, in]) or a key matrix rounded to
 * float. Immutable by convention: operations return new matrices.
 *
 * <p>Products run on the engine's multi-threaded kernel ({@link MatMul}), which sums in float like the engines
 * that will run the result.
 */
public record WeightMatrix(int rows, int cols, float[] data) {

    /** Tile edge of the blocked transpose: 32×32 floats of source and destination stay in L1. */
    private static final int TRANSPOSE_TILE = 32;

    public WeightMatrix {
        if ((long) rows * cols != data.length)
            throw new IllegalArgumentException(data.length + " values for a " + rows + "×" + cols + " matrix");
    }

    public static WeightMatrix of(Tensor t) {
        if (t.rank() != 2) throw new IllegalArgumentException("tensor " + t.name() + " is not a matrix: " + t);
        return new WeightMatrix(t.rows(), t.cols(), t.toFloats());
    }

    /** An fp64 key matrix rounded to float. */
    public static WeightMatrix of(DMatrixRMaj m) {
        float[] f = new float[m.data.length];
        for (int i = 0; i < f.length; i++) f[i] = (float) m.data[i];
        return new WeightMatrix(m.numRows, m.numCols, f);
    }

    public Tensor toTensor(String name, DType dtype) {
        return Tensor.of(name, dtype, data, rows, cols);
    }

    public float get(int r, int c) {
        return data[r * cols + c];
    }

    /** {@code this · otherᵀ}. */
    public WeightMatrix timesTransposed(WeightMatrix other) {
        if (cols != other.cols)
            throw new IllegalArgumentException(
                    "inner sizes differ: " + rows + "×" + cols + " · (" + other.rows + "×" + other.cols + ")ᵀ");
        // The kernel widens a block of the weight operand once and streams the activation operand past it, so the
        // activation operand should be the smaller one (a key, rather than a vocabulary-sized table): it then stays
        // in cache. For a taller this, compute (other·thisᵀ)ᵀ.
        if (rows > other.rows) return other.timesTransposed(this).transpose();
        float[] out = new float[Math.multiplyExact(rows, other.rows)];
        MatMul.multiply(Parallel.shared(), data, rows, other.asWeight(), out);
        return new WeightMatrix(rows, other.rows, out);
    }

    private Matrix asWeight() {
        return new Matrix("key product", MemorySegment.ofArray(data), DType.F32, rows, cols);
    }

    /** The element-wise sum with {@code other}, of the same shape. */
    public WeightMatrix plus(WeightMatrix other) {
        if (other.rows != rows || other.cols != cols)
            throw new IllegalArgumentException(
                    "adding a " + other.rows + "x" + other.cols + " matrix to a " + rows + "x" + cols + " one");
        float[] out = data.clone();
        for (int i = 0; i < out.length; i++) out[i] += other.data[i];
        return new WeightMatrix(rows, cols, out);
    }

    /** {@code this · other}. */
    public WeightMatrix times(WeightMatrix other) {
        return timesTransposed(other.transpose());
    }

    /** The transpose, tile by tile (a naive loop misses the cache on every write for model-sized matrices). */
    public WeightMatrix transpose() {
        float[] t = new float[data.length];
        Parallel.shared().forRange(rows, TRANSPOSE_TILE, (from, to) -> {
            for (int r0 = from; r0 < to; r0 += TRANSPOSE_TILE)
                for (int c0 = 0; c0 < cols; c0 += TRANSPOSE_TILE) {
                    int r1 = Math.min(to, r0 + TRANSPOSE_TILE), c1 = Math.min(cols, c0 + TRANSPOSE_TILE);
                    for (int r = r0; r < r1; r++) for (int c = c0; c < c1; c++) t[c * rows + r] = data[r * cols + c];
                }
        });
        return new WeightMatrix(cols, rows, t);
    }

    /** Row {@code r} of the result is row {@code source[r]} of this matrix. */
    public WeightMatrix gatherRows(int[] source) {
        float[] out = new float[source.length * cols];
        for (int r = 0; r < source.length; r++) System.arraycopy(data, source[r] * cols, out, r * cols, cols);
        return new WeightMatrix(source.length, cols, out);
    }

    /** Rows [from, to). */
    public WeightMatrix rowRange(int from, int to) {
        float[] out = new float[(to - from) * cols];
        System.arraycopy(data, from * cols, out, 0, out.length);
        return new WeightMatrix(to - from, cols, out);
    }

    /** Stacks matrices with equal column counts on top of each other. */
    public static WeightMatrix stackRows(List<WeightMatrix> parts) {
        int cols = parts.getFirst().cols, rows = 0;
        for (WeightMatrix p : parts) {
            if (p.cols != cols) throw new IllegalArgumentException("cannot stack " + p.cols + " columns under " + cols);
            rows += p.rows;
        }
        float[] out = new float[rows * cols];
        int at = 0;
        for (WeightMatrix p : parts) {
            System.arraycopy(p.data, 0, out, at, p.data.length);
            at += p.data.length;
        }
        return new WeightMatrix(rows, cols, out);
    }

    /** {@code this · diag(scale)}: column c multiplied by scale[c]. */
    public WeightMatrix scaleColumns(float[] scale) {
        if (scale.length != cols) throw new IllegalArgumentException(scale.length + " scales for " + cols + " columns");
        float[] out = data.clone();
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) out[r * cols + c] *= scale[c];
        return new WeightMatrix(rows, cols, out);
    }
}
