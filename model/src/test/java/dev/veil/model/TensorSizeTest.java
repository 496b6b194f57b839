package dev.veil.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/** Tensor and TensorSpec sizes never wrap: a shape whose size overflows a long is an error, not a small number. */
class TensorSizeTest {

    @Test
    void aShapeWhoseByteSizeWrapsToZeroIsRefused() {
        long[] shape = {1L << 31, 1L << 31}; // 2^62 elements: x4 bytes wraps to exactly 0
        assertThatThrownBy(() -> new Tensor("w", DType.F32, shape, MemorySegment.ofArray(new byte[0])))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("tensor w: shape [2147483648, 2147483648] of F32 has more bytes than a long holds");
        assertThatThrownBy(() -> new TensorSpec("w", DType.F32, shape).byteSize())
                .isInstanceOf(ArithmeticException.class);
        assertThatThrownBy(() -> Tensor.count(new long[] {1L << 32, 1L << 32})).isInstanceOf(ArithmeticException.class);
    }

    @Test
    void ordinarySizesAreUnchanged() {
        assertThat(new TensorSpec("w", DType.BF16, new long[] {4096, 256}).byteSize())
                .isEqualTo(2L * 4096 * 256);
        assertThat(Tensor.count(new long[] {0, 1L << 62, 1L << 62})).isZero();
        assertThat(Tensor.count(new long[] {})).isEqualTo(1);
    }
}
