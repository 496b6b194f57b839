package dev.veil.train.nn;

import dev.veil.train.nn.kernel.VecOps;

/** {@code softmax} over the last dimension (a mixture-of-experts router's probabilities). */
public final class Softmax {
    private Softmax() {}

    public static Var apply(Tape tape, Var x) {
        int n = x.rows(), d = x.cols();
        float[] p = tape.uninitialized(x.size());
        System.arraycopy(x.value(), 0, p, 0, p.length);
        for (int r = 0; r < n; r++) VecOps.scaledSoftmax(p, r * d, d, 1f);
        Var result = Var.result(tape, p, tape.needsGrad(x), x.shape());
        if (result.requiresGrad()) {
            tape.record(() -> {
                float[] dy = result.gradBuffer(), dx = x.gradBuffer(), row = new float[d];
                for (int r = 0; r < n; r++) { // dx = p ⊙ (dy − Σ p·dy)
                    System.arraycopy(dy, r * d, row, 0, d);
                    VecOps.softmaxBackward(p, r * d, row, 0, d, 1f);
                    for (int i = 0; i < d; i++) dx[r * d + i] += row[i];
                }
            });
        }
        return result;
    }
}
