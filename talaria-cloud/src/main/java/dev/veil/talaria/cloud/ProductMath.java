package dev.veil.talaria.cloud;

/** {@code out = x · Wᵀ + bias} for a folded product: the one matmul the cloud does per batch. */
final class ProductMath {

    private ProductMath() {}

    static void multiply(FoldedProduct p, float[] x, int n, float[] out) {
        int in = p.inDim(), outDim = p.outDim();
        float[] w = p.weight();
        for (int t = 0; t < n; t++)
            for (int r = 0; r < outDim; r++) {
                float s = 0;
                for (int k = 0; k < in; k++) s += x[t * in + k] * w[r * in + k];
                out[t * outDim + r] = s + (p.bias() == null ? 0 : p.bias()[r]);
            }
    }
}
