package dev.veil.talaria.cloud;

import dev.veil.engine.kernel.MatMul;
import dev.veil.engine.kernel.Matrix;
import dev.veil.engine.kernel.Parallel;
import dev.veil.engine.kernel.VectorMath;
import dev.veil.model.DType;
import dev.veil.talaria.protocol.ModelName;
import java.lang.foreign.MemorySegment;

/**
 * One weight product as the weight holders keep it: {@code out = x · weightᵀ + bias}, weight {@code [outDim, inDim]}
 * in F32 with the preceding RMSNorm weight already folded into its columns.
 */
public final class FoldedProduct {

    private final ModelName name;
    private final int outDim, inDim;
    private final float[] weight;
    private final float[] bias;
    private final Matrix matrix;

    /** @param bias the output bias, or null */
    public FoldedProduct(ModelName name, int outDim, int inDim, float[] weight, float[] bias) {
        if (weight.length != (long) outDim * inDim)
            throw new IllegalArgumentException(name + ": " + weight.length + " weights for [" + outDim + ", " + inDim + "]");
        if (bias != null && bias.length != outDim)
            throw new IllegalArgumentException(name + ": bias of " + bias.length + " for " + outDim + " outputs");
        this.name = name;
        this.outDim = outDim;
        this.inDim = inDim;
        this.weight = weight;
        this.bias = bias;
        this.matrix = new Matrix(name.toString(), MemorySegment.ofArray(weight), DType.F32, outDim, inDim);
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

    /** The folded weight, row-major [outDim, inDim] (not a copy). */
    float[] weight() {
        return weight;
    }

    /** The bias, or null (not a copy). */
    float[] bias() {
        return bias;
    }

    /** {@code out[n × outDim] = x[n × inDim] · weightᵀ + bias} with the engine's kernels. */
    public void multiply(Parallel parallel, float[] x, int n, float[] out) {
        MatMul.multiply(parallel, x, n, matrix, out);
        if (bias != null) VectorMath.addRows(out, n, bias);
    }
}
