package dev.veil.model;

import static dev.veil.model.RandomModels.gaussian;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class QuantTest {

    /**
     * Round trip error, relative to the RMS of the values: what each format's bits allow. Q8_0 rounds to 1/254 of a
     * block's range (RMS error ~ range/254/√12 ≈ 0.004·σ·max/σ); Q5_0 16 steps each side; Q4_K 15 steps of an
     * asymmetric range; Q6_K 32 steps each side with 16-element scales. The bounds are 1.5× the errors measured on this input (0.0054, 0.043, 0.074, 0.018).
     */
    @ParameterizedTest
    @CsvSource({"Q8_0, 0.008", "Q5_0, 0.065", "Q4_K, 0.11", "Q6_K, 0.027"})
    void roundTripErrorIsWhatTheBitsAllow(DType type, double bound) {
        int n = 4096;
        float[] x = gaussian(n, 7);
        MemorySegment q = Arena.ofAuto().allocate(type.byteSize(n));
        Quant.quantize(type, x, 0, n, q, 0);
        float[] y = new float[n];
        Quant.dequantize(type, q, 0, y, 0, n);
        double err = 0, ss = 0;
        for (int i = 0; i < n; i++) {
            err += (x[i] - y[i]) * (double) (x[i] - y[i]);
            ss += x[i] * (double) x[i];
        }
        double rel = Math.sqrt(err / ss);
        System.out.printf("%s round trip: RMS error %.4f of RMS%n", type, rel);
        assertThat(rel).isLessThan(bound).isGreaterThan(bound / 20);
    }

    /** The Q8_0 block of 0, 1, .., 31: scale 31/127 as f16, then each value rounded to the nearest step. */
    @Test
    void q8_0BlockLayout() {
        float[] x = new float[32];
        for (int i = 0; i < 32; i++) x[i] = i;
        MemorySegment q = Arena.ofAuto().allocate(34);
        Quant.quantize(DType.Q8_0, x, 0, 32, q, 0);
        float d = Float.float16ToFloat(Float.floatToFloat16(31f / 127));
        assertThat(Quant.f16(q, 0)).isEqualTo(d);
        for (int i = 0; i < 32; i++)
            assertThat(q.get(ValueLayout.JAVA_BYTE, 2 + i)).isEqualTo((byte) Math.round(i * 127f / 31));
    }

    /** Q4_K: 4-bit values of sub-block 2j in the low nibbles, 2j+1 in the high nibbles of the same 32 bytes. */
    @Test
    void q4_KNibbleLayoutAndScales() {
        float[] x = new float[256];
        for (int i = 0; i < 256; i++) x[i] = ((i % 32) / 31f - 0.5f) * (1 + i / 32); // sub-block j spans 1 + j
        MemorySegment q = Arena.ofAuto().allocate(144);
        Quant.quantize(DType.Q4_K, x, 0, 256, q, 0);
        float[] y = new float[256];
        Quant.dequantize(DType.Q4_K, q, 0, y, 0, 256);
        for (int i = 0; i < 256; i++)
            assertThat(Math.abs(y[i] - x[i]))
                    .as("element %d", i)
                    .isLessThan(0.6f * (1 + i / 32) / 15); // 15 steps a sub-block
        // element 32 (sub-block 1, first value) is the high nibble of byte 0 of the quants
        int hi = (q.get(ValueLayout.JAVA_BYTE, 16) & 0xff) >>> 4;
        assertThat(Quant.f16(q, 0) * Quant.scaleK4(q, 4, 1) * hi - Quant.f16(q, 2) * Quant.minK4(q, 4, 1))
                .isEqualTo(y[32]);
    }

    @Test
    void tensorsOfQuantizedTypes() {
        float[] x = gaussian(2 * 256, 3);
        Tensor t = Tensor.of("w", DType.Q4_K, x, 2, 256);
        assertThat(t.data().byteSize()).isEqualTo(2 * 144);
        float[] row1 = t.row(1);
        assertThat(t.getFloat(256 + 17)).isEqualTo(row1[17]);
        assertThat(t.toFloats()).endsWith(row1);
        assertThat(TensorOps.convert(t, DType.F32).toFloats()).containsExactly(t.toFloats());
        assertThatThrownBy(() -> Tensor.of("w", DType.Q4_K, new float[2 * 128], 2, 128))
                .hasMessageContaining("not whole Q4_K blocks of 256");
    }
}
