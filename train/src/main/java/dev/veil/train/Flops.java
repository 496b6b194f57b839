package dev.veil.train;

import dev.veil.model.ModelConfig;

/**
 * Floating-point operations of training, counted the usual way: a forward pass costs 2 FLOPs per weight of every
 * matrix product (LM head included) plus the attention products {@code q·kᵀ} and {@code p·v} over the causal
 * context; a backward pass twice the forward.
 */
public final class Flops {
    private Flops() {}

    public static double forwardPerToken(ModelConfig c, int seq) {
        long d = c.hiddenSize();
        long perLayer = d * c.qDim() + 2 * d * c.kvDim() + (long) c.qDim() * d + 3 * d * c.intermediateSize();
        double matmul = 2.0 * (c.numLayers() * perLayer + (long) c.vocabSize() * d);
        // a token at position t attends to t+1 positions; averaged over a window: (seq+1)/2, two products of qDim each
        double attention = c.numLayers() * 2.0 * 2.0 * c.qDim() * (seq + 1) / 2.0;
        return matmul + attention;
    }

    public static double trainingPerToken(ModelConfig c, int seq) {
        return 3 * forwardPerToken(c, seq);
    }
}
