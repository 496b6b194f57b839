package dev.veil.train.nn;

/** Mean squared error {@code mean((a − b)²)}: e.g. how far a reconstructed hidden state is from an observed one. */
public final class Mse {
    private Mse() {}

    public static Var mean(Tape tape, Var a, Var b) {
        if (a.size() != b.size()) throw new IllegalArgumentException("mse: " + a + " and " + b + " differ in size");
        float[] av = a.value(), bv = b.value();
        double sum = 0;
        for (int i = 0; i < av.length; i++) {
            double d = av[i] - bv[i];
            sum += d * d;
        }
        int n = av.length;
        Var result = Var.result(tape, new float[] {(float) (sum / n)}, tape.needsGrad(a, b));
        if (result.requiresGrad()) {
            tape.record(() -> {
                float g = 2f * result.gradBuffer()[0] / n;
                if (a.requiresGrad()) {
                    float[] da = a.gradBuffer();
                    for (int i = 0; i < n; i++) da[i] += g * (av[i] - bv[i]);
                }
                if (b.requiresGrad()) {
                    float[] db = b.gradBuffer();
                    for (int i = 0; i < n; i++) db[i] -= g * (av[i] - bv[i]);
                }
            });
        }
        return result;
    }
}
