package dev.veil.talaria.cloud;

import dev.veil.engine.kernel.MatMul;
import dev.veil.engine.kernel.Matrix;
import dev.veil.engine.kernel.Parallel;
import dev.veil.engine.kernel.VectorMath;
import dev.veil.model.DType;
import dev.veil.talaria.protocol.ModelName;
import java.lang.foreign.MemorySegment;

/**
 * One weight product as the weight holders keep it: {@code out = (x ⊙ γ) · Wᵀ + bias}, where {@code W} is the stack of
 * the model's own matrices ({@code [outDim, inDim]} together) and {@code γ} the preceding RMSNorm weight, or none.
 *
 * <p>The cloud multiplies the model's tensors as they are stored (BF16 stays BF16, memory-mapped, no copy) and applies
 * γ to the input first, exactly as the local engine does: an F32 copy with γ folded into the columns would double the
 * bytes a BF16 model streams per token (measured: the cloud's handler was 86% of a 200M model's Talaria decode). The
 * setup authority, which accumulates in double and is off the token path, reads the folded F32 form
 * ({@link #weight()}), made on first use.
 */
public final class FoldedProduct {

    private final ModelName name;
    private final int outDim, inDim;
    private final Matrix[] stack;
    private final float[] inputScale;
    private final float[] bias;
    private final float[] compensated; // the F32 weight when sums must be compensated (see compensated()), else null
    private volatile float[] folded;

    /**
     * @param stack      the matrices, all with {@code inDim} columns, whose rows add up to {@code outDim}
     * @param inputScale γ applied to the input's columns, or null
     * @param bias       the output bias, or null
     */
    public FoldedProduct(ModelName name, int outDim, int inDim, Matrix[] stack, float[] inputScale, float[] bias) {
        long rows = 0;
        for (Matrix m : stack) {
            if (m.cols() != inDim)
                throw new IllegalArgumentException(name + ": " + m.name() + " has " + m.cols() + " columns, expected " + inDim);
            rows += m.rows();
        }
        if (rows != outDim) throw new IllegalArgumentException(name + ": weights hold " + rows + " rows, expected " + outDim);
        if (inputScale != null && inputScale.length != inDim)
            throw new IllegalArgumentException(name + ": norm weight of " + inputScale.length + " for " + inDim + " inputs");
        if (bias != null && bias.length != outDim)
            throw new IllegalArgumentException(name + ": bias of " + bias.length + " for " + outDim + " outputs");
        this.name = name;
        this.outDim = outDim;
        this.inDim = inDim;
        this.stack = stack.clone();
        this.inputScale = inputScale;
        this.bias = bias;
        this.compensated = null;
    }

    private FoldedProduct(ModelName name, int outDim, int inDim, float[] weight) {
        this.name = name;
        this.outDim = outDim;
        this.inDim = inDim;
        this.stack = new Matrix[] {checked(name, outDim, inDim, weight)};
        this.inputScale = null;
        this.bias = null;
        this.compensated = weight;
        this.folded = weight;
    }

    /**
     * A product over one F32 matrix whose dot products are Kahan-compensated ({@link VectorMath#dotCompensated}): for
     * the embedding, where a masked one-hot row of V values (mask rms ~2, signal one 1) is summed against the table and
     * a plain float sum's error (~√V roundings of the mask terms) reached 1% of the embedding row at V = 151,669.
     */
    public static FoldedProduct compensated(ModelName name, int outDim, int inDim, float[] weight) {
        return new FoldedProduct(name, outDim, inDim, weight);
    }

    /** A product over one F32 matrix {@code [outDim, inDim]} given as an array (not copied), nothing applied to the input. */
    public FoldedProduct(ModelName name, int outDim, int inDim, float[] weight, float[] bias) {
        this(name, outDim, inDim, new Matrix[] {checked(name, outDim, inDim, weight)}, null, bias);
    }

    private static Matrix checked(ModelName name, int outDim, int inDim, float[] weight) {
        if (weight.length != (long) outDim * inDim)
            throw new IllegalArgumentException(name + ": " + weight.length + " weights for [" + outDim + ", " + inDim + "]");
        return new Matrix(name.toString(), MemorySegment.ofArray(weight), DType.F32, outDim, inDim);
    }

    public ModelName name() {
        return name;
    }

    public int outDim() {
        return outDim;
    }

    public int inDim() {
        return inDim;
    }

    /** {@code W·diag(γ)} in F32, row-major [outDim, inDim], made on first use and kept (not a copy). */
    public float[] weight() {
        float[] w = folded;
        if (w == null) {
            synchronized (this) {
                if (folded == null) folded = fold();
                w = folded;
            }
        }
        return w;
    }

    private float[] fold() {
        float[] w = new float[Math.toIntExact((long) outDim * inDim)];
        int row = 0;
        for (Matrix m : stack) {
            m.widenRows(0, m.rows(), w, row * inDim);
            row += m.rows();
        }
        if (inputScale != null)
            for (int r = 0; r < outDim; r++)
                for (int k = 0; k < inDim; k++) w[r * inDim + k] *= inputScale[k];
        return w;
    }

    /** The bias, or null (not a copy). */
    public float[] bias() {
        return bias;
    }

    /** {@code out[n × outDim] = (x[n × inDim] ⊙ γ) · Wᵀ + bias} with the engine's kernels; {@code x} is not changed. */
    public void multiply(Parallel parallel, float[] x, int n, float[] out) {
        if (compensated != null) {
            parallel.forRange(outDim, 4, (from, to) -> {
                for (int r = from; r < to; r++)
                    for (int t = 0; t < n; t++)
                        out[t * outDim + r] = VectorMath.dotCompensated(compensated, r * inDim, x, t * inDim, inDim);
            });
            return;
        }
        float[] in = x;
        if (inputScale != null) {
            in = new float[n * inDim];
            VectorMath.mulRows(x, n, inputScale, in);
        }
        MatMul.multiply(parallel, in, n, stack, out);
        if (bias != null) VectorMath.addRows(out, n, bias);
    }
}
