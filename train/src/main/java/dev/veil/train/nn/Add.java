package dev.veil.train.nn;

/** Element-wise sum of two values of the same shape: the residual connection. */
public final class Add {
    private Add() {}

    public static Var apply(Tape tape, Var a, Var b) {
        if (a.size() != b.size()) throw new IllegalArgumentException("add: " + a + " and " + b + " differ in size");
        float[] av = a.value(), bv = b.value();
        float[] out = tape.uninitialized(av.length);
        for (int i = 0; i < out.length; i++) out[i] = av[i] + bv[i];
        Var result = Var.result(tape, out, tape.needsGrad(a, b), a.shape());
        if (result.requiresGrad()) {
            tape.record(() -> {
                float[] dy = result.gradBuffer();
                if (a.requiresGrad()) accumulate(a.gradBuffer(), dy);
                if (b.requiresGrad()) accumulate(b.gradBuffer(), dy);
            });
        }
        return result;
    }

    private static void accumulate(float[] into, float[] dy) {
        for (int i = 0; i < dy.length; i++) into[i] += dy[i];
    }
}
