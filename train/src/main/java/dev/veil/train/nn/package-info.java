/**
 * Reverse-mode differentiation, one op at a time, for training Veil's models and for attacks that need gradients
 * (learned inverters, gradient-based inversion of hidden states).
 *
 * <p>A {@link dev.veil.train.nn.Var} is a row-major float array with a shape; leaves are made with
 * {@link dev.veil.train.nn.Var#constant} (no gradient), {@link dev.veil.train.nn.Var#variable} (gradient wanted)
 * or from a model parameter. Each op — {@link dev.veil.train.nn.Linear}, {@link dev.veil.train.nn.Embedding},
 * {@link dev.veil.train.nn.RmsNorm}, {@link dev.veil.train.nn.RotaryEmbedding}, {@link dev.veil.train.nn.CausalAttention},
 * {@link dev.veil.train.nn.SwiGlu}, {@link dev.veil.train.nn.Add}, {@link dev.veil.train.nn.CrossEntropy},
 * {@link dev.veil.train.nn.Mse} — computes its forward pass and records its backward step, written beside it,
 * on a {@link dev.veil.train.nn.Tape}; {@link dev.veil.train.nn.Tape#backward} runs the steps in reverse.
 *
 * <pre>{@code
 * // which input embeddings produce this layer-L hidden state?
 * model.setTrainable(false);                                   // no weight gradients
 * Var x = Var.variable(guess, seq, hidden);
 * Tape tape = new Tape();
 * Var loss = Mse.mean(tape, model.blocks(tape, x, 1, seq, 0, L), Var.constant(observed, seq, hidden));
 * tape.backward(loss);                                         // x.grad() = d loss / d x
 * }</pre>
 *
 * Every op is checked against finite differences in the tests. Results are deterministic: the same inputs give
 * the same bits whatever the thread count and JIT state (see {@link dev.veil.train.nn.kernel.VecOps}).
 */
package dev.veil.train.nn;
