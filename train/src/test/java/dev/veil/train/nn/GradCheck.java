package dev.veil.train.nn;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import java.util.function.Function;

/**
 * Checks an op's backward against central finite differences of its forward. The scalar probed is
 * {@code L = Σ r·out} for a fixed random {@code r} (so every output element matters), summed in double; the
 * backward is seeded with {@code r}.
 */
public final class GradCheck {
    private GradCheck() {}

    public static float[] random(Random rnd, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (rnd.nextGaussian() * scale);
        return a;
    }

    /** Every element of every input is probed with step {@code eps}; |numeric − analytic| ≤ tol·max(1, |analytic|). */
    public static void check(Function<Tape, Var> f, double eps, double tol, Var... inputs) {
        for (Var in : inputs) in.zeroGrad();
        Tape tape = new Tape();
        Var out = f.apply(tape);
        float[] r = random(new Random(99), out.size(), 1.0);
        tape.backward(out, r);
        for (int which = 0; which < inputs.length; which++) {
            Var in = inputs[which];
            float[] analytic = in.grad().clone();
            float[] x = in.value();
            for (int i = 0; i < x.length; i++) {
                float saved = x[i];
                x[i] = (float) (saved + eps);
                double plus = probe(f, r);
                x[i] = (float) (saved - eps);
                double minus = probe(f, r);
                x[i] = saved;
                double numeric = (plus - minus) / (2 * eps);
                assertThat(Math.abs(numeric - analytic[i]))
                        .as("input %d element %d: numeric %.6f vs analytic %.6f", which, i, numeric, analytic[i])
                        .isLessThanOrEqualTo(tol * Math.max(1.0, Math.abs(analytic[i])));
            }
        }
    }

    private static double probe(Function<Tape, Var> f, float[] r) {
        float[] out = f.apply(Tape.inference()).value();
        double l = 0;
        for (int i = 0; i < out.length; i++) l += (double) r[i] * out[i];
        return l;
    }
}
