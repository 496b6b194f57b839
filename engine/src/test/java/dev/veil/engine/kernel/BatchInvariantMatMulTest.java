package dev.veil.engine.kernel;

import static dev.veil.model.RandomModels.gaussian;
import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.engine.kernel.MatMul.Batching;
import dev.veil.model.DType;
import dev.veil.model.Tensor;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link Batching#INVARIANT}: a token's outputs are bit for bit the same alone or at any place in a batch of any size,
 * on every call — the first ones run interpreted, later ones compiled — and they are the product to float rounding.
 */
class BatchInvariantMatMulTest {

    private static final Parallel POOL = new Parallel(3);
    /** Rows not a multiple of the 4-row tile nor of the 16-row block; columns with a scalar tail. */
    private static final int ROWS = 45, COLS = 83;

    @AfterAll
    static void stop() {
        POOL.close();
    }

    private static float[] product(Matrix w, float[] x, int n) {
        float[] out = new float[n * ROWS];
        MatMul.multiply(POOL, x, n, new Matrix[] {w}, out, Batching.INVARIANT);
        return out;
    }

    @ParameterizedTest
    @EnumSource(
            value = DType.class,
            names = {"F32", "F16", "BF16"})
    void aTokensOutputsDoNotDependOnItsBatchOrOnTheJit(DType dtype) {
        Matrix w = Matrix.of(Tensor.of("w", dtype, gaussian(ROWS * COLS, 1), ROWS, COLS));
        float[] token = gaussian(COLS, 2);
        float[] alone = product(w, token, 1);
        for (int call = 0; call < 2000; call++) {
            int n = 1 + call % 13, at = call % n;
            float[] batch = gaussian(n * COLS, 100 + call);
            System.arraycopy(token, 0, batch, at * COLS, COLS);
            float[] out = product(w, batch, n);
            float[] mine = Arrays.copyOfRange(out, at * ROWS, (at + 1) * ROWS);
            if (!Arrays.equals(mine, alone))
                assertThat(mine).as("call %d: token %d of %d", call, at, n).containsExactly(alone);
        }
        for (int r = 0; r < ROWS; r++) {
            float[] row = w.row(r);
            double expected = 0;
            for (int k = 0; k < COLS; k++) expected += (double) row[k] * token[k];
            assertThat((double) alone[r])
                    .isCloseTo(expected, org.assertj.core.data.Offset.offset(1e-4 * (1 + Math.abs(expected))));
        }
    }
}
