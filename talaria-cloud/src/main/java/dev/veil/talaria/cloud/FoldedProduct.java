package dev.veil.talaria.cloud;

import dev.veil.engine.kernel.MatMul;
import dev.veil.engine.kernel.Matrix;
import dev.veil.engine.kernel.Parallel;
import dev.veil.engine.kernel.VectorMath;
import dev.veil.model.DType;
import dev.veil.talaria.protocol.ModelName;
import java.lang.foreign.MemorySegment;
import java.util.stream.IntStream;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * One weight product as the weight holders keep it: {@code out = (x ⊙ γ) · Wᵀ + bias}, where {@code W} is the stack of
 * the model's own matrices ({@code [outDim, inDim]} together) and {@code γ} the preceding RMSNorm weight, or none.
 *
 * <p>The cloud multiplies the model's tensors as they are stored (BF16 stays BF16, Q8_0 and Q4_K stay in their blocks,
 * memory-mapped, no copy; quantized weights are dequantized into the float product, the input is not quantized) and applies
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
                throw new IllegalArgumentException(
                        name + ": " + m.name() + " has " + m.cols() + " columns, expected " + inDim);
            rows += m.rows();
        }
        if (rows != outDim)
            throw new IllegalArgumentException(name + ": weights hold " + rows + " rows, expected " + outDim);
        if (inputScale != null && inputScale.length != inDim)
            throw new IllegalArgumentException(
                    name + ": norm weight of " + inputScale.length + " for " + inDim + " inputs");
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
            throw new IllegalArgumentException(
                    name + ": " + weight.length + " weights for [" + outDim + ", " + inDim + "]");
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
            for (int r = 0; r < outDim; r++) for (int k = 0; k < inDim; k++) w[r * inDim + k] *= inputScale[k];
        return w;
    }

    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Float> HALF =
            VectorSpecies.of(float.class, VectorShape.forBitSize(D.vectorBitSize() / 2));

    /**
     * {@code out[outOff + t × outDim + o] = Σ_k x[t][k] · W'[o][k]} for {@code n} rows, accumulated in double: the
     * setup authority's products, exact to the FP32 they are sent in so that unmasking adds no error of its own to the
     * cloud's. Vectorised (four rows per pass over a weight row) and parallel over the outputs; it replaced a scalar
     * double loop that made a fresh client's first setup at the Qwen2.5-0.5B shape take seconds.
     */
    public void multiplyExact(float[] x, int n, float[] out, int outOff) {
        float[] w = weight();
        double[] xd = new double[n * inDim];
        for (int i = 0; i < xd.length; i++) xd[i] = x[i];
        // the common fork-join pool, as before, not the kernel pool: a long setup task there would hold a worker the
        // cloud's matmuls expect to help them
        int chunks = Math.min(outDim, 64), step = Math.ceilDiv(outDim, chunks);
        IntStream.range(0, Math.ceilDiv(outDim, step)).parallel().forEach(c -> {
            int o0 = c * step, o1 = Math.min(outDim, o0 + step);
            double[] acc = new double[n * (o1 - o0)];
            // the inputs in column blocks that stay in cache across the chunk's weight rows (the embedding's one-hot
            // rows are V wide: read whole for every output, they streamed from memory)
            for (int k0 = 0; k0 < inDim; k0 += K_BLOCK) {
                int k1 = Math.min(inDim, k0 + K_BLOCK);
                for (int o = o0; o < o1; o++) accumulate(w, o * inDim, xd, n, k0, k1, acc, o - o0, o1 - o0);
            }
            for (int t = 0; t < n; t++)
                for (int o = o0; o < o1; o++) out[outOff + t * outDim + o] = (float) acc[t * (o1 - o0) + o - o0];
        });
    }

    private static final int K_BLOCK = 2048;

    /** {@code acc[t × stride + col] += Σ_{k0 ≤ k < k1} w[wOff + k] · xd[t × inDim + k]} for every row t, four rows at a time. */
    private void accumulate(
            float[] w, int wOff, double[] xd, int n, int k0, int k1, double[] acc, int col, int stride) {
        int lanes = D.length(), bound = k0 + D.loopBound(k1 - k0);
        int t = 0;
        for (; t + 4 <= n; t += 4) {
            DoubleVector a0 = DoubleVector.zero(D), a1 = a0, a2 = a0, a3 = a0;
            int x0 = t * inDim, x1 = x0 + inDim, x2 = x1 + inDim, x3 = x2 + inDim;
            int k = k0;
            for (; k < bound; k += lanes) {
                DoubleVector wv =
                        (DoubleVector) FloatVector.fromArray(HALF, w, wOff + k).convertShape(VectorOperators.F2D, D, 0);
                a0 = wv.fma(DoubleVector.fromArray(D, xd, x0 + k), a0);
                a1 = wv.fma(DoubleVector.fromArray(D, xd, x1 + k), a1);
                a2 = wv.fma(DoubleVector.fromArray(D, xd, x2 + k), a2);
                a3 = wv.fma(DoubleVector.fromArray(D, xd, x3 + k), a3);
            }
            // lanes summed in a fixed order (VectorMath.sum), not reduceLanes: its order changes once compiled
            double s0 = VectorMath.sum(a0), s1 = VectorMath.sum(a1), s2 = VectorMath.sum(a2), s3 = VectorMath.sum(a3);
            for (; k < k1; k++) {
                double wk = w[wOff + k];
                s0 += wk * xd[x0 + k];
                s1 += wk * xd[x1 + k];
                s2 += wk * xd[x2 + k];
                s3 += wk * xd[x3 + k];
            }
            acc[t * stride + col] += s0;
            acc[(t + 1) * stride + col] += s1;
            acc[(t + 2) * stride + col] += s2;
            acc[(t + 3) * stride + col] += s3;
        }
        for (; t < n; t++) {
            double s = 0;
            for (int k = k0; k < k1; k++) s += (double) w[wOff + k] * xd[t * inDim + k];
            acc[t * stride + col] += s;
        }
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
        // LINEAR: quantized weights are dequantized and multiplied with the masked rows as they are; quantizing the
        // rows first (llama.cpp's way) rounds x + m and m differently, and the client's unmasking would keep the
        // difference (docs/talaria.md, "Quantized weights")
        MatMul.multiply(parallel, in, n, stack, out, MatMul.Batching.LINEAR);
        if (bias != null) VectorMath.addRows(out, n, bias);
    }
}
