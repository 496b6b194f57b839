package dev.veil.attack.talaria;

import dev.veil.attack.Progress;
import dev.veil.attack.TokenStream;
import dev.veil.attack.capture.Request;
import dev.veil.attack.math.LeastSquares;
import dev.veil.attack.math.Nearest;
import dev.veil.attack.metrics.Guesses;
import java.util.ArrayList;
import java.util.List;

/**
 * Differencing across calls when masks are reused. Every first-layer row is RMS-normalised, so all true rows lie on
 * one sphere: ‖zᵢ − r‖² = c for rows zᵢ = xᵢ + r under a shared mask r. Differences of these equations between calls
 * cancel the unknowns ‖r‖² and c and leave a linear system in r, 2(zᵢ − zⱼ)·r = ‖zᵢ‖² − ‖zⱼ‖², solved by least
 * squares over all rows under one mask (per request when the deployment refreshes per request, else the whole
 * capture; it needs more rows than the width). The attacker subtracts its estimate of r and matches. With a fresh
 * mask per call there is no shared r and the estimate is noise.
 */
public final class DifferencingAttack implements TalariaAttack {

    private final int k;

    public DifferencingAttack(int k) {
        this.k = k;
    }

    @Override
    public String name() {
        return "differencing across calls (mask reuse)";
    }

    @Override
    public TokenStream stream() {
        return TokenStream.PROCESSED;
    }

    @Override
    public List<Guesses> attack(TalariaTarget t, Progress progress) {
        int d = t.config().hiddenSize();
        Nearest nearest = new Nearest(t.firstLayerCandidates(), d, Nearest.Metric.COSINE);
        List<List<Request>> groups = new ArrayList<>();
        if (t.refreshPerRequest()) for (Request r : t.requests()) groups.add(List.of(r));
        else groups.add(t.requests());
        List<Guesses> out = new ArrayList<>();
        for (List<Request> group : groups) {
            float[] all = SubspaceEstimationAttack.concat(group.stream().map(r -> t.in(r, TalariaTarget.FIRST_LAYER).data()).toList());
            float[] mask = sharedMask(all, d);
            for (Request r : group) {
                float[] z = t.in(r, TalariaTarget.FIRST_LAYER).data().clone();
                for (int i = 0; i < z.length; i++) z[i] -= mask[i % d];
                out.add(new Guesses(nearest.topK(z, k)));
                progress.step();
            }
        }
        return out;
    }

    /** The r that best puts every row of {@code z} on one sphere around it: 2zᵢ·r − u = ‖zᵢ‖², least squares in (r, u). */
    static float[] sharedMask(float[] z, int d) {
        int n = z.length / d;
        float[] x = new float[n * d], y = new float[n];
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int j = 0; j < d; j++) {
                x[i * d + j] = 2 * z[i * d + j];
                s += (double) z[i * d + j] * z[i * d + j];
            }
            y[i] = (float) s;
        }
        float[] unit = new float[d * d];
        for (int j = 0; j < d; j++) unit[j * d + j] = 1;
        // the fitted map's weights are r; predicting the unit vectors minus the intercept reads them out
        LeastSquares fit = LeastSquares.fit(x, y, n, d, 1, 1e-9, true);
        float[] atUnit = fit.predict(unit, d), atZero = fit.predict(new float[d], 1);
        float[] r = new float[d];
        for (int j = 0; j < d; j++) r[j] = atUnit[j] - atZero[0];
        return r;
    }
}
