/**
 * The inference engine: one forward pass for Llama / Qwen2 decoders, weight-free, with every weight product behind
 * {@link dev.veil.engine.LinearBackend}. These classes are the {@code engine-core} module (what the Talaria client
 * runs, on the model description alone); the {@code engine} module adds what holds weights ({@code backend},
 * {@code kernel.Matrix} and the matmul kernels, {@code Warmup}) in the same packages.
 *
 * <ul>
 *   <li>{@link dev.veil.engine.Transformer} — the forward pass (embed, layers, final norm, LM head) over a
 *       {@link dev.veil.engine.KvCache}; batched prefill and single-token decode are the same code.</li>
 *   <li>{@link dev.veil.engine.Generator} — prompt in, tokens out: chunked prefill, sampling
 *       ({@link dev.veil.engine.Sampler}), stop ids, {@link dev.veil.engine.StopCondition}, streaming
 *       ({@link dev.veil.engine.TokenListener}), timings.</li>
 *   <li>{@link dev.veil.engine.Perplexity} — mean negative log-likelihood over a token sequence.</li>
 *   <li>{@code backend} — {@code LocalLinearBackend}, the weights in memory (module {@code engine}).</li>
 *   <li>{@code kernel} — the vectorised, multi-threaded kernels: matmul for F32/F16/BF16 weights, RoPE, norms.</li>
 * </ul>
 */
package dev.veil.engine;
