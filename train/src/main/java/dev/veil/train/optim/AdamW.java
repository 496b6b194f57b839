package dev.veil.train.optim;

import dev.veil.engine.kernel.Parallel;
import dev.veil.train.model.Parameter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Adam with decoupled weight decay (Loshchilov &amp; Hutter): per element
 * {@code m ← β₁m + (1−β₁)g}, {@code v ← β₂v + (1−β₂)g²},
 * {@code w ← w − lr·(m̂/(√v̂ + ε) + λ·w)} with bias-corrected m̂, v̂; λ only for parameters that {@link
 * Parameter#decay() decay}. Moments are kept per parameter, by name, for checkpoints.
 */
public final class AdamW {
    public record Settings(double beta1, double beta2, double eps, double weightDecay) {
        public Settings {
            if (!(beta1 >= 0 && beta1 < 1)) throw new IllegalArgumentException("beta1 must be in [0, 1), got " + beta1);
            if (!(beta2 >= 0 && beta2 < 1)) throw new IllegalArgumentException("beta2 must be in [0, 1), got " + beta2);
            if (!(eps > 0)) throw new IllegalArgumentException("eps must be positive, got " + eps);
            if (!(weightDecay >= 0))
                throw new IllegalArgumentException("weight_decay must be non-negative, got " + weightDecay);
        }
    }

    private final List<Parameter> params;
    private final Settings settings;
    private final Map<String, float[]> m = new LinkedHashMap<>();
    private final Map<String, float[]> v = new LinkedHashMap<>();
    private long steps;

    public AdamW(List<Parameter> params, Settings settings) {
        this.params = List.copyOf(params);
        this.settings = settings;
        for (Parameter p : params) {
            m.put(p.name(), new float[p.size()]);
            v.put(p.name(), new float[p.size()]);
        }
    }

    /** Applies one update with learning rate {@code lr} from the parameters' current gradients. */
    public void step(double lr) {
        steps++;
        double b1 = settings.beta1(), b2 = settings.beta2();
        // StrictMath: the same bits on every JVM and JIT tier (determinism)
        float c1 = (float) (1 - StrictMath.pow(b1, steps)), c2 = (float) (1 - StrictMath.pow(b2, steps));
        float fb1 = (float) b1, fb2 = (float) b2, eps = (float) settings.eps(), flr = (float) lr;
        Parallel.shared().forEach(params.size(), i -> {
            Parameter p = params.get(i);
            float[] w = p.value(), g = p.grad(), mi = m.get(p.name()), vi = v.get(p.name());
            float decay = p.decay() ? (float) settings.weightDecay() : 0f;
            for (int j = 0; j < w.length; j++) {
                mi[j] = fb1 * mi[j] + (1 - fb1) * g[j];
                vi[j] = fb2 * vi[j] + (1 - fb2) * g[j] * g[j];
                float mhat = mi[j] / c1, vhat = vi[j] / c2;
                w[j] -= flr * (mhat / ((float) Math.sqrt(vhat) + eps) + decay * w[j]);
            }
        });
    }

    /** Updates applied so far (the t of the bias correction). */
    public long steps() {
        return steps;
    }

    public float[] firstMoment(String name) {
        return moment(m, name);
    }

    public float[] secondMoment(String name) {
        return moment(v, name);
    }

    /** Restores state saved from an optimizer over the same parameters (see checkpoints). */
    public void restore(long steps, Map<String, float[]> first, Map<String, float[]> second) {
        for (Parameter p : params) {
            copy(first, p, m.get(p.name()), "first moment");
            copy(second, p, v.get(p.name()), "second moment");
        }
        this.steps = steps;
    }

    private static void copy(Map<String, float[]> from, Parameter p, float[] into, String what) {
        float[] src = from.get(p.name());
        if (src == null || src.length != into.length)
            throw new IllegalArgumentException("optimizer state lacks the " + what + " of " + p);
        System.arraycopy(src, 0, into, 0, into.length);
    }

    private static float[] moment(Map<String, float[]> map, String name) {
        float[] a = map.get(name);
        if (a == null) throw new IllegalArgumentException("no optimizer state for " + name);
        return a;
    }
}
