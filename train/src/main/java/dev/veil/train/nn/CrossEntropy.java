package dev.veil.train.nn;

import dev.veil.engine.kernel.Parallel;
import dev.veil.train.nn.kernel.VecOps;

/** Mean next-token cross-entropy {@code −log softmax(logits)[target]} over the rows whose target is not negative. */
public final class CrossEntropy {
    private CrossEntropy() {}

    /** {@code logits} is {@code [n, vocab]}; {@code targets[i] < 0} leaves row {@code i} out. Returns a scalar. */
    public static Var mean(Tape tape, Var logits, int[] targets) {
        int n = logits.rows(), vocab = logits.cols();
        if (targets.length != n)
            throw new IllegalArgumentException("cross-entropy: " + targets.length + " targets for " + n + " rows");
        float[] x = logits.value();
        double[] rowLoss = new double[n];
        float[] logSumExp = new float[n];
        int counted = 0;
        for (int t : targets) {
            if (t >= vocab)
                throw new IllegalArgumentException(
                        "cross-entropy: target " + t + " outside the vocabulary of " + vocab);
            if (t >= 0) counted++;
        }
        if (counted == 0) throw new IllegalArgumentException("cross-entropy: every target is ignored");
        Parallel.shared().forEach(n, r -> {
            if (targets[r] < 0) return;
            int o = r * vocab;
            float max = VecOps.max(x, o, vocab);
            logSumExp[r] = (float) (max + Math.log(VecOps.sumExp(x, o, vocab, max)));
            rowLoss[r] = logSumExp[r] - x[o + targets[r]];
        });
        double total = 0;
        for (double l : rowLoss) total += l; // in row order: deterministic
        int count = counted;
        Var result = Var.result(tape, new float[] {(float) (total / count)}, tape.needsGrad(logits));
        if (result.requiresGrad()) {
            int[] saved = targets.clone();
            tape.record(() -> {
                float g = result.gradBuffer()[0] / count;
                float[] dx = logits.gradBuffer();
                Parallel.shared().forEach(n, r -> {
                    if (saved[r] < 0) return;
                    int o = r * vocab;
                    VecOps.addScaledExp(x, o, logSumExp[r], g, dx, o, vocab);
                    dx[o + saved[r]] -= g;
                });
            });
        }
        return result;
    }
}
