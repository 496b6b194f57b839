package dev.veil.engine.kernel;

import static dev.veil.model.RandomModels.gaussian;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.veil.engine.kernel.MatMul.Batching;
import dev.veil.model.DType;
import dev.veil.model.Quant;
import dev.veil.model.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The quantized kernels against the scalar codec: dequantized rows (bit for bit), and every dot product against the
 * double-precision sum of dequantized weights times dequantized activations — what llama.cpp computes, in integers;
 * the Q4_K/Q6_K tiles ({@link PackedTiles}) against the kernels of ggml's layout.
 */
class QuantizedMatMulTest {

    private static final Parallel TWO = new Parallel(2);

    @AfterAll
    static void stop() {
        TWO.close();
    }

    private static Matrix random(DType t, int rows, int cols, long seed) {
        return Matrix.of(Tensor.of("w" + seed, t, gaussian(rows * cols, seed), rows, cols));
    }

    @ParameterizedTest
    @CsvSource({"Q8_0, 96", "Q5_0, 160", "Q4_K, 512", "Q6_K, 512"})
    void dequantizedRowsAreTheCodecs(DType type, int cols) {
        Matrix w = random(type, 5, cols, 11);
        Tensor t = Tensor.of("w11", type, gaussian(5 * cols, 11), 5, cols);
        for (int r = 0; r < 5; r++) assertThat(w.row(r)).containsExactly(t.row(r));
        // every column block of whole 32-groups, most of them cutting the kernels' decoding units (a Q4_K pair of
        // sub-blocks, a Q6_K half super-block)
        float[] block = new float[3 * cols];
        for (int k0 = 0; k0 < cols; k0 += 32)
            for (int kc = 32; k0 + kc <= cols; kc += 32) {
                Arrays.fill(block, Float.NaN);
                w.widenBlock(1, 3, k0, kc, block, 0, cols);
                for (int j = 0; j < 3; j++) {
                    float[] want = Arrays.copyOfRange(t.row(1 + j), k0, k0 + kc);
                    assertThat(Arrays.copyOfRange(block, j * cols, j * cols + kc))
                            .as("row %d, columns [%d, %d)", 1 + j, k0, k0 + kc)
                            .containsExactly(want);
                    if (kc < cols)
                        assertThat(block[j * cols + kc])
                                .as("nothing written past the block")
                                .isNaN();
                }
            }
    }

    /**
     * Each product within 2·10⁻⁶ of the double sum, relative to Σ|w·x| (float rounding of the block scales and the
     * final sums only: the integer parts are exact); decode (1 and 3 tokens), short-prompt tiles (20 and 40), blocked (80)
     * and batch-invariant paths, a stack mixing types that pair with Q8_0 and with Q8_K activations and a float matrix.
     */
    @ParameterizedTest
    @CsvSource({"1, FASTEST", "3, FASTEST", "20, FASTEST", "40, FASTEST", "80, FASTEST", "3, INVARIANT"})
    void productsMatchDequantizedReference(int n, Batching batching) {
        int cols = 1280; // more than Gemm.WC: the blocked path widens a whole chunk and a tail
        Matrix[] stack = {
            random(DType.Q4_K, 13, cols, 1),
            random(DType.Q8_0, 7, cols, 2),
            random(DType.Q6_K, 9, cols, 3),
            random(DType.Q5_0, 5, cols, 4),
            random(DType.F32, 3, cols, 5)
        };
        float[] x = gaussian(n * cols, 9);
        int rows = 13 + 7 + 9 + 5 + 3;
        float[] out = new float[n * rows];
        MatMul.multiply(TWO, x, n, stack, out, batching);
        double worst = 0;
        for (int t = 0; t < n; t++) {
            int at = 0;
            for (Matrix m : stack) {
                float[] xt = Arrays.copyOfRange(x, t * cols, (t + 1) * cols);
                float[] xq = m.dtype().isQuantized()
                        ? Q8Input.of(m.dtype(), xt, 1, cols).dequantized()
                        : xt;
                for (int r = 0; r < m.rows(); r++) {
                    float[] row = m.row(r);
                    double s = 0, abs = 0;
                    for (int k = 0; k < cols; k++) {
                        s += (double) row[k] * xq[k];
                        abs += Math.abs((double) row[k] * xq[k]);
                    }
                    double err = Math.abs(out[t * rows + at + r] - s) / abs;
                    worst = Math.max(worst, err);
                    assertThat(err).as("%s row %d token %d", m.dtype(), r, t).isLessThan(2e-6);
                }
                at += m.rows();
            }
        }
        System.out.printf("n=%d %s: worst relative error %.2e%n", n, batching, worst);
    }

    /**
     * The copy out of the file mapping for a type that is not repacked (BF16; the quantized types are, below): 2 MiB
     * aligned, the same bytes, the same products.
     */
    @Test
    void hugePageCopyIsTheSameMatrix() {
        Matrix w = random(DType.BF16, 2100, 512, 6); // 2.15 MB: more than one huge page
        Matrix c = w.inHugePages();
        assertThat(c.packed()).isNull();
        assertThat(c.data().address() % (2 << 20)).isZero();
        assertThat(c.data().address()).isNotEqualTo(w.data().address());
        assertThat(c.data().mismatch(w.data())).isEqualTo(-1L);
        float[] x = gaussian(512, 7), a = new float[2100], b = new float[2100];
        MatMul.multiply(TWO, x, 1, w, a);
        MatMul.multiply(TWO, x, 1, c, b);
        assertThat(b).containsExactly(a);
        Matrix small = random(DType.BF16, 3, 512, 8); // below a huge page: an ordinary copy
        assertThat(small.inHugePages().data().mismatch(small.data())).isEqualTo(-1L);
    }

    /** The activation quantization is llama.cpp's: Q8_0 scale max/127 in f16, Q8_K scale −max/127 and sums per 32. */
    @Test
    void activationQuantization() {
        float[] x = new float[256];
        for (int i = 0; i < 256; i++) x[i] = (i - 100) / 10f;
        Q8Input q80 = Q8Input.of(DType.Q8_0, x, 1, 256);
        assertThat(q80.d()[0]).isEqualTo(Float.float16ToFloat(Float.floatToFloat16(10f / 127)));
        assertThat(q80.q()[0]).isEqualTo(-127f);
        assertThat(q80.q()[31]).isEqualTo((float) Math.rint(-6.9f * (127f / 10f)));
        Q8Input q8k = Q8Input.of(DType.Q4_K, x, 1, 256);
        assertThat(q8k.d()[0]).isEqualTo(1 / (-127f / 15.5f));
        assertThat(q8k.q()[255]).isEqualTo(-127f);
        float s = 0;
        for (int i = 32; i < 64; i++) s += q8k.q()[i];
        assertThat(q8k.sums()[1]).isEqualTo(s);
    }

    /**
     * The vectorised quantization against the scalar definitions (ggml's quantize_row_q8_0 and quantize_row_q8_K_ref):
     * Gaussian rows, a row of exact ties (to even), a block whose largest magnitudes are equal with opposite signs
     * (the first one sets the sign of the Q8_K scale), and an all-zero block; and their dequantization, q × d.
     */
    @Test
    void vectorisedActivationQuantizationIsTheScalarDefinition() {
        int cols = 512;
        float[] x = gaussian(3 * cols, 7);
        // row 1: 127 first in every block, so the scale is exactly ±1 and the others (k + 0.5) are ties
        for (int i = cols; i < 2 * cols; i++) x[i] = i % 32 == 0 ? 127f : (i % 32 - 16) + 0.5f;
        x[2 * cols + 3] = -4f;
        x[2 * cols + 9] = 4f;
        Arrays.fill(x, 2 * cols + 256, 3 * cols, 0f);
        for (DType t : new DType[] {DType.Q8_0, DType.Q4_K}) {
            Q8Input v = Q8Input.of(t, x, 3, cols);
            int block = Q8Input.blockFor(t);
            float[] q = new float[x.length], sums = new float[x.length / 32];
            for (int b = 0; b < x.length / block; b++) {
                float d = block == 32 ? scalarQ8_0(x, b * 32, q) : scalarQ8_K(x, b * block, q, sums);
                assertThat(v.d()[b]).as("%s block %d scale", t, b).isEqualTo(d);
            }
            for (int i = 0; i < x.length; i++) {
                assertThat(v.q()[i] == q[i])
                        .as("%s value %d: %s vs %s", t, i, v.q()[i], q[i])
                        .isTrue();
                assertThat(v.qs()[i]).isEqualTo((short) q[i]);
            }
            if (block != 32) assertThat(v.sums()).containsExactly(sums);
            float[] deq = v.dequantized(); // the blocked kernels' input
            for (int i = 0; i < x.length; i++)
                assertThat(deq[i]).as("%s value %d dequantized", t, i).isEqualTo(q[i] * v.d()[i / block]);
        }
    }

    /** A prompt's rows quantized on two threads: every value, scale and sub-block sum as on one. */
    @Test
    void activationsQuantizedInParallelAreTheSerialOnes() {
        int cols = 512, n = 37; // over Parallel.ROWS_TO_SPLIT, not a multiple of the grain
        float[] x = gaussian(n * cols, 11);
        for (DType t : new DType[] {DType.Q8_0, DType.Q4_K}) {
            Q8Input serial = Q8Input.of(t, x, n, cols), split = Q8Input.of(TWO, t, x, n, cols);
            assertThat(split.q()).as("%s", t).containsExactly(serial.q());
            assertThat(split.qs()).as("%s", t).containsExactly(serial.qs());
            assertThat(split.d()).as("%s", t).containsExactly(serial.d());
            if (serial.sums() != null) assertThat(split.sums()).as("%s", t).containsExactly(serial.sums());
        }
    }

    private static float scalarQ8_0(float[] x, int at, float[] q) {
        float amax = 0;
        for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[at + j]));
        float id = amax != 0 ? 127f / amax : 0f;
        for (int j = 0; j < 32; j++) q[at + j] = (float) Math.rint(x[at + j] * id);
        return Float.float16ToFloat(Float.floatToFloat16(amax / 127f));
    }

    private static float scalarQ8_K(float[] x, int at, float[] q, float[] sums) {
        float max = 0, amax = 0;
        for (int j = 0; j < 256; j++)
            if (Math.abs(x[at + j]) > amax) {
                amax = Math.abs(x[at + j]);
                max = x[at + j];
            }
        if (amax == 0) return 0;
        float iscale = -127f / max;
        for (int j = 0; j < 256; j++) q[at + j] = Math.min(127, Quant.nearestInt(iscale * x[at + j]));
        for (int g = 0; g < 8; g++) {
            float s = 0;
            for (int j = 0; j < 32; j++) s += q[at + 32 * g + j];
            sums[at / 32 + g] = s;
        }
        return 1 / iscale;
    }

    // --- Q4_K and Q6_K repacked into row-lane tiles (PackedTiles) multiply as ggml's layout does in QuantKernels ---

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
        "Q6_K, 45, 256, 33, 45, 7",
        "Q5_0, 77, 96, 0, 77, 1",
        "Q5_0, 77, 768, 5, 70, 3",
        "Q5_0, 45, 32, 33, 45, 7",
        "Q8_0, 77, 96, 0, 77, 1",
        "Q8_0, 77, 768, 5, 70, 3",
        "Q8_0, 45, 32, 33, 45, 7",
        "Q8_0, 2100, 1024, 0, 2100, 1" // 2.3 MB of tiles: the huge-page mapping
    })
    void packedTilesEqualTheGgmlLayoutKernel(DType type, int rows, int cols, int r0, int r1, int n) {
        Assumptions.assumeTrue(PackedTiles.AVAILABLE, "no vector kernels on this CPU");
        float[] v = gaussian(rows * cols, rows);
        for (int i = 0; i < v.length; i += 7) v[i] *= 4; // uneven magnitudes: scales and mins of every size
        Matrix plain = Matrix.of(Tensor.of("w", type, v, rows, cols));
        Matrix packed = plain.inHugePages();
        assertThat(packed.packed()).isNotNull();
        assertThat(packed.data()).isSameAs(plain.data());
        assertThat(plain.inHugePages(TWO).packed().mismatch(packed.packed()))
                .as("packed by two threads")
                .isEqualTo(-1L);
        assertThat(packed.packed().byteSize())
                .isEqualTo((long) Math.ceilDiv(rows, PackedTiles.ROWS)
                        * (cols / type.blockSize)
                        * PackedTiles.bytes(type));
        Q8Input a = Q8Input.of(type, gaussian(n * cols, 3), n, cols);
        float[] want = new float[n * rows], got = new float[n * rows];
        Arrays.fill(got, Float.NaN);
        switch (type) {
            case Q4_K -> QuantKernels.rowsQ4_K(plain, r0, r1, a, 0, n, want, rows, 0);
            case Q6_K -> QuantKernels.rowsQ6_K(plain, r0, r1, a, 0, n, want, rows, 0);
            case Q5_0 -> QuantKernels.rowsQ5_0(plain, r0, r1, a, 0, n, want, rows, 0);
            default -> QuantKernels.rowsQ8_0(plain, r0, r1, a, 0, n, want, rows, 0);
        }
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

    /** The engine's decode path (n < 8, two threads, a stack of packed Q4_K and Q8_0) reads the tiles. */
    @Test
    void decodeReadsThePackedTiles() {
        Assumptions.assumeTrue(PackedTiles.AVAILABLE, "no vector kernels on this CPU");
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
                else assertThat(got[t * 79 + r]).isNotZero();
    }

    /**
     * The extreme blocks, activations all −127 after quantization. Q4_K: every nibble 15, every scale and min 63 (d 1,
     * dmin 0.5): 16-position 16-bit sums of 16 · 15 · 127 = 30480, the int sum 63 · 256 · 15 · 127. Q6_K: every weight
     * −32 (all bits zero), every scale −128 (d 1): 8-position sums of 8 · 32 · 127 = 32512, the int sum
     * 16 · −128 · 16 · 4064. Q5_0: every weight −16 (all bits zero, d 1): 16-position sums of 16 · 16 · 127 = 32512.
     * Q8_0: every weight −128 (ggml's quantizer never writes it; a file may, d 1): 2-position sums of 2 · 128 · 127.
     * An overflow in the tiles' short or int sums would be off by orders of magnitude.
     */
    @ParameterizedTest
    @CsvSource({"Q4_K", "Q6_K", "Q5_0", "Q8_0"})
    void packedExtremeBlocksDoNotOverflow(DType type) {
        Assumptions.assumeTrue(PackedTiles.AVAILABLE, "no vector kernels on this CPU");
        int rows = 33, cols = 512;
        MemorySegment w = MemorySegment.ofArray(new byte[rows * cols / type.blockSize * type.bytes]);
        var i16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        for (int b = 0; b < rows * cols / type.blockSize; b++) {
            long at = (long) b * type.bytes;
            if (type == DType.Q5_0) w.set(i16, at, Float.floatToFloat16(1f));
            else if (type == DType.Q8_0) {
                w.set(i16, at, Float.floatToFloat16(1f));
                w.asSlice(at + 2, 32).fill((byte) -128);
            } else if (type == DType.Q4_K) {
                w.set(i16, at, Float.floatToFloat16(1f));
                w.set(i16, at + 2, Float.floatToFloat16(0.5f));
                w.asSlice(at + 4, 140).fill((byte) 0xFF);
            } else {
                w.asSlice(at + 192, 16).fill((byte) -128);
                w.set(i16, at + 208, Float.floatToFloat16(1f));
            }
        }
        Matrix m = new Matrix("w", w, type, rows, cols).inHugePages();
        float[] x = new float[cols];
        boolean q80 = type == DType.Q5_0 || type == DType.Q8_0;
        Arrays.fill(x, q80 ? -1f : 1f); // Q8_K's scale is −max/127, Q8_0's +max/127
        Q8Input a = Q8Input.of(type, x, 1, cols);
        assertThat(a.q()[0]).isEqualTo(-127f);
        float[] out = new float[rows];
        MatMul.multiply(TWO, x, 1, m, out);
        double block = switch (type) {
                    case Q4_K -> 63.0 * 256 * 15 * -127 - 0.5 * 8 * 63 * 32 * -127; // d · Σ sc·w·x − dmin · Σ m·bsum
                    case Q6_K -> 16.0 * -128 * 16 * (-32 * -127);
                    case Q5_0 -> 32.0 * (-16 * -127);
                    default -> 32.0 * (-128 * -127);
                }
                * a.d()[0];
        double row = block * (cols / type.blockSize);
        for (int r = 0; r < rows; r++) assertThat((double) out[r]).isCloseTo(row, within(1e-6 * Math.abs(row)));
    }

    @Test
    void onlyQuantizedRowsArePacked() {
        Assumptions.assumeTrue(PackedTiles.AVAILABLE, "no vector kernels on this CPU");
        Matrix f = Matrix.of(Tensor.of("c", DType.BF16, gaussian(4 * 256, 1), 4, 256));
        assertThat(f.inHugePages().packed()).isNull();
        assertThatThrownBy(() -> PackedTiles.pack(f, null)).hasMessageContaining("not repacked");
        assertThatThrownBy(() -> new Matrix("c", f.data(), DType.BF16, 4, 256, MemorySegment.ofArray(new byte[1])))
                .hasMessageContaining("only quantized rows are repacked");
    }
}
