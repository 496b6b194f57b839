/**
 * Kernels of the forward pass, on the Vector API (the CPU's widest float vectors) and a persistent thread pool.
 * {@code Half}, {@code Parallel}, {@code Rope} and {@code VectorMath} are weight-free (module {@code engine-core});
 * the weight-matrix kernels ({@code Matrix}, {@code MatMul}, {@code Gemm}, {@code QuantKernels}, {@code Q8Input},
 * {@code TiledRows}) are in the {@code engine} module.
 *
 * <ul>
 *   <li>{@link dev.veil.engine.kernel.Parallel} — the worker pool, low overhead per parallel loop, shareable.</li>
 *   <li>{@code MatMul} — {@code x · Wᵀ}: streaming mat-vec for decode and small batches,
 *       {@code Gemm} (blocked, register-tiled) for prefill; {@code Gemm} also multiplies plain
 *       float matrices in any orientation ({@code A·B}, {@code A·Bᵀ}, {@code Aᵀ·B}, accumulating): the trainer's
 *       products.</li>
 *   <li>{@code Matrix} — a weight matrix read in place from its (mapped) segment;
 *       {@link dev.veil.engine.kernel.Half} widens F16/BF16 in registers; {@code QuantKernels} multiplies ggml's
 *       Q8_0/Q5_0/Q4_K/Q6_K blocks with activations quantized per block ({@code Q8Input}) as
 *       llama.cpp does.</li>
 *   <li>{@link dev.veil.engine.kernel.Rope}, {@link dev.veil.engine.kernel.VectorMath} — RoPE (with llama3 scaling),
 *       RMSNorm, SwiGLU, softmax, residual add; {@code VectorMath.dotBF16Pairs}, the BF16 row dot that
 *       {@code Matrix} runs on a mapped row and the Talaria client's local head on its own table (one kernel, so
 *       their logits agree bit for bit).</li>
 * </ul>
 */
package dev.veil.engine.kernel;
