package dev.veil.talaria.cloud;

import dev.veil.model.DType;
import dev.veil.model.Tensor;
import dev.veil.talaria.protocol.ModelName;
import java.lang.foreign.MemorySegment;

/**
 * One weight product as the cloud holds it: {@code out = x · weightᵀ + bias}, weight {@code [outDim, inDim]} in F32
 * with the preceding RMSNorm weight already folded into its columns.
 *
 * @param bias the output bias, or null
 */
public record FoldedProduct(ModelName name, int outDim, int inDim, float[] weight, float[] bias) {

    public FoldedProduct {
        if (weight.length != (long) outDim * inDim)
            throw new IllegalArgumentException(name + ": " + weight.length + " weights for [" + outDim + ", " + inDim + "]");
        if (bias != null && bias.length != outDim)
            throw new IllegalArgumentException(name + ": bias of " + bias.length + " for " + outDim + " outputs");
    }

    /** The weight as a tensor over the same memory (no copy), for the engine's kernels. */
    public Tensor tensor() {
        return new Tensor(name.toString(), DType.F32, new long[] {outDim, inDim}, MemorySegment.ofArray(weight));
    }
}
