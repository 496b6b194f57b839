package dev.veil.engine.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.model.DType;
import dev.veil.model.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import org.junit.jupiter.api.Test;

class HalfTest {

    /** Every 16-bit pattern, through the vector conversion, in vectors of the kernels' width. */
    private static float[] widenAll(boolean bf16) {
        MemorySegment seg = Arena.ofAuto().allocate(65536 * 2, 64);
        for (int i = 0; i < 65536; i++) seg.setAtIndex(Tensor.I16, i, (short) i);
        float[] out = new float[65536];
        for (int i = 0; i < 65536; i += Half.S.length()) {
            ShortVector h = ShortVector.fromMemorySegment(Half.S, seg, 2L * i, ByteOrder.LITTLE_ENDIAN);
            (bf16 ? Half.bf16ToF32(h) : Half.f16ToF32(h)).intoArray(out, i);
        }
        return out;
    }

    /** IEEE half to float by the definition: sign, 5-bit exponent (bias 15), 10-bit significand; finite halves only. */
    private static int halfBitsByDefinition(int h) {
        int sign = (h & 0x8000) << 16, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
        if (exp != 0) return sign | (exp - 15 + 127) << 23 | mant << 13; // normal
        return Float.floatToRawIntBits((sign != 0 ? -1f : 1f) * mant * 0x1p-24f); // zero, subnormal
    }

    @Test
    void f16ConversionIsExactForEveryFinitePattern() {
        float[] out = widenAll(false);
        int finite = 0;
        for (int h = 0; h < 65536; h++) {
            if ((h & 0x7c00) == 0x7c00) continue;
            finite++;
            assertThat(Float.floatToRawIntBits(out[h])).as("half 0x%04x", h).isEqualTo(halfBitsByDefinition(h));
            assertThat(out[h]).as("half 0x%04x", h).isEqualTo(Float.float16ToFloat((short) h)); // the JDK agrees
        }
        assertThat(finite).isEqualTo(65536 - 2 * 1024);
        assertThat(out[0x7bff]).isEqualTo(65504f);
        assertThat(out[0x0001]).isEqualTo(0x1p-24f);
        assertThat(Float.floatToRawIntBits(out[0x8000])).isEqualTo(0x80000000);
    }

    /** Int lanes holding two halves, as the pairs kernel reads them: every pattern in the high and in the low bits. */
    @Test
    void f16PairsWidenExactlyInBothPositions() {
        int[] lanes = new int[65536];
        for (int h = 0; h < 65536; h++) lanes[h] = h << 16 | (h ^ 0x5a5a); // the low halves: every pattern once too
        float[] high = new float[65536], low = new float[65536];
        for (int i = 0; i < 65536; i += Half.I.length()) {
            IntVector w = IntVector.fromArray(Half.I, lanes, i);
            Half.f16HighToF32(w).intoArray(high, i);
            Half.f16HighToF32(w.lanewise(VectorOperators.LSHL, 16)).intoArray(low, i);
        }
        int finite = 0;
        for (int i = 0; i < 65536; i++) {
            int hi = i, lo = i ^ 0x5a5a;
            if ((hi & 0x7c00) != 0x7c00) {
                finite++;
                assertThat(Float.floatToRawIntBits(high[i]))
                        .as("high half 0x%04x", hi)
                        .isEqualTo(halfBitsByDefinition(hi));
            }
            if ((lo & 0x7c00) != 0x7c00)
                assertThat(Float.floatToRawIntBits(low[i]))
                        .as("low half 0x%04x", lo)
                        .isEqualTo(halfBitsByDefinition(lo));
            else assertThat(Math.abs(low[i])).as("low half 0x%04x", lo).isBetween(65536f, 131072f);
        }
        assertThat(finite).isEqualTo(65536 - 2 * 1024);
    }

    /** The documented exception: infinities and NaNs widen to finite values of magnitude in [2^16, 2^17). */
    @Test
    void f16InfinitiesAndNansWidenToLargeFiniteValues() {
        float[] out = widenAll(false);
        for (int h = 0; h < 65536; h++) {
            if ((h & 0x7c00) != 0x7c00) continue;
            assertThat(Math.abs(out[h])).as("half 0x%04x", h).isBetween(65536f, 131072f);
            assertThat(out[h] < 0).as("sign of half 0x%04x", h).isEqualTo((h & 0x8000) != 0);
        }
    }

    @Test
    void bf16ConversionIsExactForAll65536Patterns() {
        float[] out = widenAll(true);
        for (int b = 0; b < 65536; b++)
            assertThat(Float.floatToRawIntBits(out[b])).as("bf16 0x%04x", b).isEqualTo(b << 16);
        assertThat(out[0x3f80]).isEqualTo(1f);
        assertThat(out[(short) DType.toBF16(-2.5f) & 0xffff]).isEqualTo(-2.5f);
    }
}
