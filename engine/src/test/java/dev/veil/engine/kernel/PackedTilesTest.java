package dev.veil.engine.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.veil.model.DType;
import dev.veil.model.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Q4_K and Q6_K repacked into row-lane tiles ({@link PackedTiles}) multiply as ggml's layout does in {@link
 * QuantKernels}.
 */
class PackedTilesTest {

    private static final Parallel TWO = new Parallel(2);

    @BeforeAll
    static void vectors() {
        Assumptions.assumeTrue(PackedTiles.AVAILABLE, "no vector kernels on this CPU");
    }

    @AfterAll
    static void stop() {
        TWO.close();
    }

    private static float[] gaussian(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian();
        return v;
    }

    /**
     * Rows {@code [r0, r1)} (tiles cut at both ends, the last one padded) times 1, 3 and 7 tokens: every product
     * within 10⁻⁶ of the ggml-layout kernel's, relative to {@code Σ|w·x|} (the integer sums are the same; only the
     * float order of the scales differs), and outside the range nothing written.
     */
    @ParameterizedTest
    @CsvSource({
        "Q4_K, 77, 768, 0, 77, 1",
        "Q4_K, 77, 768, 5, 70, 3",
        "Q4_K, 45, 256, 33, 45, 7",
        "Q4_K, 100, 1280, 0, 100, 2",
        "Q6_K, 77, 768, 0, 77, 1",
        "Q6_K, 77, 768, 5, 70, 3",
        "Q6_K, 45, 256, 33, 45, 7"
    })
    void equalsTheGgmlLayoutKernel(DType type, int rows, int cols, int r0, int r1, int n) {
        float[] v = gaussian(rows * cols, rows);
        for (int i = 0; i < v.length; i += 7) v[i] *= 4; // uneven magnitudes: scales and mins of every size
        Matrix plain = Matrix.of(Tensor.of("w", type, v, rows, cols));
        Matrix packed = plain.inHugePages();
        assertThat(packed.packed()).isNotNull();
        assertThat(packed.data()).isSameAs(plain.data());
        assertThat(packed.packed().byteSize())
                .isEqualTo((long) Math.ceilDiv(rows, PackedTiles.ROWS) * (cols / 256) * PackedTiles.bytes(type));
        Q8Input a = Q8Input.of(type, gaussian(n * cols, 3), n, cols);
        float[] want = new float[n * rows], got = new float[n * rows];
        java.util.Arrays.fill(got, Float.NaN);
        if (type == DType.Q4_K) QuantKernels.rowsQ4_K(plain, r0, r1, a, 0, n, want, rows, 0);
        else QuantKernels.rowsQ6_K(plain, r0, r1, a, 0, n, want, rows, 0);
        PackedTiles.multiply(packed, r0, r1, a, 0, n, got, rows, 0);
        float[] deq = a.dequantized();
        for (int t = 0; t < n; t++)
            for (int r = 0; r < rows; r++) {
                int o = t * rows + r;
                if (r < r0 || r >= r1) {
                    assertThat(got[o]).as("row %d outside the range", r).isNaN();
                    continue;
                }
                float[] row = plain.row(r);
                double abs = 0;
                for (int k = 0; k < cols; k++) abs += Math.abs((double) row[k] * deq[t * cols + k]);
                assertThat((double) got[o]).as("row %d token %d", r, t).isCloseTo(want[o], within(1e-6 * abs));
            }
    }

    /**
     * The extreme block: every nibble 15, every scale 63, activations all −127 after quantization. A super-block's 16-bit
     * partial sums reach 16 · 15 · 127 = 30480 (no overflow) and its int sum 63 · 256 · 15 · 127.
     */
    @Test
    void extremeQ4KBlockDoesNotOverflow() {
        int rows = 33, cols = 512;
        MemorySegment w = MemorySegment.ofArray(new byte[rows * 2 * 144]);
        var i16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        for (int b = 0; b < rows * 2; b++) {
            long at = b * 144L;
            w.set(i16, at, Float.floatToFloat16(1f)); // d
            w.set(i16, at + 2, Float.floatToFloat16(0.5f)); // dmin
            for (int j = 0; j < 12; j++) w.set(ValueLayout.JAVA_BYTE, at + 4 + j, (byte) 0xFF); // scales and mins 63
            for (int j = 0; j < 128; j++) w.set(ValueLayout.JAVA_BYTE, at + 16 + j, (byte) 0xFF);
        }
        Matrix m = new Matrix("w", w, DType.Q4_K, rows, cols).inHugePages();
        float[] x = new float[cols];
        java.util.Arrays.fill(x, 1f);
        Q8Input a = Q8Input.of(DType.Q4_K, x, 1, cols);
        assertThat(a.q()[0]).isEqualTo(-127f);
        float[] out = new float[rows];
        MatMul.multiply(TWO, x, 1, m, out);
        float dx = a.d()[0];
        // per super-block: d · 63 · 256 · 15 · (−127) · dx − dmin · 8 · 63 · (32 · −127) · dx
        double block = (63.0 * 256 * 15 * -127 - 0.5 * 8 * 63 * 32 * -127) * dx;
        for (int r = 0; r < rows; r++) assertThat((double) out[r]).isCloseTo(2 * block, within(1e-6 * Math.abs(block)));
    }

    /** The engine's decode path (n < 8, two threads, a stack mixing packed Q4_K with other types) reads the tiles. */
    @Test
    void matMulUsesThePackedTiles() {
        int cols = 512;
        Matrix q4 = Matrix.of(Tensor.of("a", DType.Q4_K, gaussian(70 * cols, 1), 70, cols));
        Matrix q8 = Matrix.of(Tensor.of("b", DType.Q8_0, gaussian(9 * cols, 2), 9, cols));
        Matrix[] plain = {q4, q8}, loaded = {q4.inHugePages(), q8.inHugePages()};
        float[] x = gaussian(3 * cols, 5), want = new float[3 * 79], got = new float[3 * 79];
        MatMul.multiply(TWO, x, 3, plain, want);
        MatMul.multiply(TWO, x, 3, loaded, got);
        for (int i = 0; i < got.length; i++)
            assertThat(got[i]).isCloseTo(want[i], within(1e-5f * Math.max(1, Math.abs(want[i]))));
        // the tiles, not the ggml bytes, are what the decode path reads: zeroing them zeroes the Q4_K outputs
        loaded[0].packed().fill((byte) 0);
        MatMul.multiply(TWO, x, 3, loaded, got);
        for (int t = 0; t < 3; t++)
            for (int r = 0; r < 79; r++)
                if (r < 70) assertThat(got[t * 79 + r]).isZero();
                else assertThat(got[t * 79 + r]).isEqualTo(want[t * 79 + r]);
    }

    /**
     * Q6_K's extreme block: every weight −32 (all bits zero), every scale −128, activations all −127: 8-position 16-bit
     * sums of 8 · 32 · 127 = 32512, the super-block's int sum 16 · −128 · 16 · 4064.
     */
    @Test
    void extremeQ6KBlockDoesNotOverflow() {
        int rows = 33, cols = 512;
        MemorySegment w = MemorySegment.ofArray(new byte[rows * 2 * 210]);
        var i16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        for (int b = 0; b < rows * 2; b++) {
            for (int g = 0; g < 16; g++) w.set(ValueLayout.JAVA_BYTE, b * 210L + 192 + g, (byte) -128);
            w.set(i16, b * 210L + 208, Float.floatToFloat16(1f));
        }
        Matrix m = new Matrix("w", w, DType.Q6_K, rows, cols).inHugePages();
        float[] x = new float[cols];
        java.util.Arrays.fill(x, 1f);
        Q8Input a = Q8Input.of(DType.Q6_K, x, 1, cols);
        float[] out = new float[rows];
        MatMul.multiply(TWO, x, 1, m, out);
        double block = 16.0 * -128 * 16 * (-32 * -127) * a.d()[0];
        for (int r = 0; r < rows; r++) assertThat((double) out[r]).isCloseTo(2 * block, within(1e-6 * Math.abs(block)));
    }

    @Test
    void onlyKQuantsArePacked() {
        Matrix q8 = Matrix.of(Tensor.of("c", DType.Q8_0, gaussian(4 * 256, 1), 4, 256));
        assertThat(q8.inHugePages().packed()).isNull();
        assertThatThrownBy(() -> PackedTiles.pack(q8)).hasMessageContaining("not repacked");
        assertThatThrownBy(() -> new Matrix("c", q8.data(), DType.Q8_0, 4, 256, MemorySegment.ofArray(new byte[1])))
                .hasMessageContaining("only Q4_K and Q6_K");
    }
}
