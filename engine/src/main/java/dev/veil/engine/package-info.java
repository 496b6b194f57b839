/**
 * The inference engine: one forward pass for Llama / Qwen2 decoders, weight-free, with every weight product behind
 * {@link dev.veil.engine.LinearBackend}.
 *
 * <ul>
 *   <li>{@link dev.veil.engine.Transformer} — the forward pass (embed, layers, final norm, LM head) over a
 *       {@link dev.veil.engine.KvCache}; batched prefill and single-token decode are the same code.</li>
 *   <li>{@link dev.veil.engine.Generator} — prompt in, tokens out: chunked prefill, sampling
 *       ({@link dev.veil.engine.Sampler}), stop ids, {@link dev.veil.engine.StopCondition}, streaming
 *       ({@link dev.veil.engine.TokenListener}), timings.</li>
 *   <li>{@link dev.veil.engine.Perplexity} — mean negative log-likelihood over a token sequence.</li>
 *   <li>{@code backend} — {@link dev.veil.engine.backend.LocalLinearBackend}, the weights in memory.</li>
 *   <li>{@code kernel} — the vectorised, multi-threaded kernels: matmul for F32/F16/BF16 weights, RoPE, norms.</li>
 * </ul>
 */
package dev.veil.engine;
