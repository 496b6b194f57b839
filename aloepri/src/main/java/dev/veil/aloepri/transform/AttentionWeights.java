package dev.veil.aloepri.transform;

/**
 * One layer's attention weights in the Hugging Face layout: q [heads·hd, d], k and v [kvHeads·hd, d],
 * o [d, heads·hd]; biases are null when the model has none.
 */
public record AttentionWeights(
        WeightMatrix q, WeightMatrix k, WeightMatrix v, WeightMatrix o, float[] qBias, float[] kBias, float[] vBias) {}
