package dev.veil.aloepri.transform;

/** One layer's SwiGLU weights in the Hugging Face layout: gate and up [d_ffn, d], down [d, d_ffn]. */
public record FfnWeights(WeightMatrix gate, WeightMatrix up, WeightMatrix down) {}
