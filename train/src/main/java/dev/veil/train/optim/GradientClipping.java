package dev.veil.train.optim;

import dev.veil.train.model.Parameter;
import java.util.List;

/** Scales all gradients together so that their global L2 norm is at most {@code maxNorm}. */
public final class GradientClipping {
    private GradientClipping() {}

    /** Returns the norm before clipping (summed in double, parameter by parameter: deterministic). */
    public static double clip(List<Parameter> params, double maxNorm) {
        double sq = 0;
        for (Parameter p : params) for (float g : p.grad()) sq += (double) g * g;
        double norm = Math.sqrt(sq);
        if (maxNorm > 0 && norm > maxNorm) {
            float scale = (float) (maxNorm / (norm + 1e-6));
            for (Parameter p : params) {
                float[] g = p.grad();
                for (int i = 0; i < g.length; i++) g[i] *= scale;
            }
        }
        return norm;
    }
}
