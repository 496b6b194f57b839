package dev.veil.train.nn.kernel;

import dev.veil.engine.kernel.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code C[m×n] (+)= A[m×k] · B[k×n]}, all row-major: the one matrix product every linear layer uses, forward
 * ({@code x·Wᵀ} with B = Wᵀ) and backward ({@code dy·W}, {@code dyᵀ·x}).
 *
 * <p>The micro-kernel keeps a 4-row × 2-vector tile of C in registers and streams a panel of B, broadcasting one
 * element of A per row. Rows are split across threads; each element of C is summed over k in order by one thread.
 */
public final class Matmul {
    private static final VectorSpecies<Float> S = VecOps.S;
    private static final int V = VecOps.V;
    private static final int ROWS = 4;
    private static final int PANEL = 2 * V;
    /** Row blocks per task: enough work per task to amortise scheduling, enough tasks to balance threads. */
    private static final int BLOCKS_PER_TASK = 8;

    private Matmul() {}

    public static void multiply(float[] c, float[] a, float[] b, int m, int k, int n, boolean accumulate) {
        check(c, a, b, m, k, n);
        int rowsPerTask = BLOCKS_PER_TASK * ROWS;
        Parallel.shared()
                .forEach(
                        (m + rowsPerTask - 1) / rowsPerTask,
                        task -> rows(
                                c, a, b, task * rowsPerTask, Math.min(m, (task + 1) * rowsPerTask), k, n, accumulate));
    }

    /** The same product on the calling thread only (inside a task that is itself one of many parallel ones). */
    public static void multiplySerial(float[] c, float[] a, float[] b, int m, int k, int n, boolean accumulate) {
        check(c, a, b, m, k, n);
        rows(c, a, b, 0, m, k, n, accumulate);
    }

    private static void check(float[] c, float[] a, float[] b, int m, int k, int n) {
        if (a.length < (long) m * k || b.length < (long) k * n || c.length < (long) m * n)
            throw new IllegalArgumentException("matmul " + m + "x" + k + " · " + k + "x" + n + ": arrays too small");
    }

    /** Rows {@code firstRow..endRow-1} of C. */
    private static void rows(
            float[] c, float[] a, float[] b, int firstRow, int endRow, int k, int n, boolean accumulate) {
        int j = 0;
        for (; j + PANEL <= n; j += PANEL) { // a panel of B stays in cache across these rows
            int i = firstRow;
            for (; i + ROWS <= endRow; i += ROWS) tile4(c, a, b, i, j, k, n, accumulate);
            for (; i < endRow; i++) tile1(c, a, b, i, j, k, n, accumulate);
        }
        if (j < n) for (int i = firstRow; i < endRow; i++) scalarColumns(c, a, b, i, j, k, n, accumulate);
    }

    private static void tile4(float[] c, float[] a, float[] b, int i, int j, int k, int n, boolean acc) {
        int c0 = i * n + j, c1 = c0 + n, c2 = c1 + n, c3 = c2 + n;
        FloatVector s00 = acc ? FloatVector.fromArray(S, c, c0) : FloatVector.zero(S);
        FloatVector s01 = acc ? FloatVector.fromArray(S, c, c0 + V) : FloatVector.zero(S);
        FloatVector s10 = acc ? FloatVector.fromArray(S, c, c1) : FloatVector.zero(S);
        FloatVector s11 = acc ? FloatVector.fromArray(S, c, c1 + V) : FloatVector.zero(S);
        FloatVector s20 = acc ? FloatVector.fromArray(S, c, c2) : FloatVector.zero(S);
        FloatVector s21 = acc ? FloatVector.fromArray(S, c, c2 + V) : FloatVector.zero(S);
        FloatVector s30 = acc ? FloatVector.fromArray(S, c, c3) : FloatVector.zero(S);
        FloatVector s31 = acc ? FloatVector.fromArray(S, c, c3 + V) : FloatVector.zero(S);
        int a0 = i * k, a1 = a0 + k, a2 = a1 + k, a3 = a2 + k;
        for (int p = 0, bp = j; p < k; p++, bp += n) {
            FloatVector b0 = FloatVector.fromArray(S, b, bp);
            FloatVector b1 = FloatVector.fromArray(S, b, bp + V);
            FloatVector x = FloatVector.broadcast(S, a[a0 + p]);
            s00 = x.fma(b0, s00);
            s01 = x.fma(b1, s01);
            x = FloatVector.broadcast(S, a[a1 + p]);
            s10 = x.fma(b0, s10);
            s11 = x.fma(b1, s11);
            x = FloatVector.broadcast(S, a[a2 + p]);
            s20 = x.fma(b0, s20);
            s21 = x.fma(b1, s21);
            x = FloatVector.broadcast(S, a[a3 + p]);
            s30 = x.fma(b0, s30);
            s31 = x.fma(b1, s31);
        }
        s00.intoArray(c, c0);
        s01.intoArray(c, c0 + V);
        s10.intoArray(c, c1);
        s11.intoArray(c, c1 + V);
        s20.intoArray(c, c2);
        s21.intoArray(c, c2 + V);
        s30.intoArray(c, c3);
        s31.intoArray(c, c3 + V);
    }

    private static void tile1(float[] c, float[] a, float[] b, int i, int j, int k, int n, boolean acc) {
        int c0 = i * n + j;
        FloatVector s0 = acc ? FloatVector.fromArray(S, c, c0) : FloatVector.zero(S);
        FloatVector s1 = acc ? FloatVector.fromArray(S, c, c0 + V) : FloatVector.zero(S);
        int a0 = i * k;
        for (int p = 0, bp = j; p < k; p++, bp += n) {
            FloatVector x = FloatVector.broadcast(S, a[a0 + p]);
            s0 = x.fma(FloatVector.fromArray(S, b, bp), s0);
            s1 = x.fma(FloatVector.fromArray(S, b, bp + V), s1);
        }
        s0.intoArray(c, c0);
        s1.intoArray(c, c0 + V);
    }

    /** Columns {@code j..n-1} of row {@code i}: the part narrower than a panel. Sums over k in the same order. */
    private static void scalarColumns(float[] c, float[] a, float[] b, int i, int j, int k, int n, boolean acc) {
        for (int col = j; col < n; col++) {
            float s = acc ? c[i * n + col] : 0f;
            for (int p = 0; p < k; p++) s = Math.fma(a[i * k + p], b[p * n + col], s);
            c[i * n + col] = s;
        }
    }
}
