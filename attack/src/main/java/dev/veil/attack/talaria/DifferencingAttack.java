package dev.veil.attack.talaria;

import dev.veil.attack.Progress;
import dev.veil.attack.RankedAttack;
import dev.veil.attack.TokenStream;
import dev.veil.attack.math.LeastSquares;
import dev.veil.attack.math.Nearest;
import dev.veil.attack.metrics.Guesses;
import java.util.List;

/**
 * Differencing across calls when masks are reused. Rows sent under one shared mask r are zᵢ = xᵢ + r, so their
 * differences from the mean, wᵢ = zᵢ − z̄ = xᵢ − x̄, no longer carry the mask. What is left to find is the mean x̄:
 * every first-layer row is RMS-normalised, so the true rows lie on one sphere, ‖wᵢ + x̄‖² = c, which (differenced once
 * more to drop ‖x̄‖² and c) is linear in x̄ and solved by least squares over all rows under the mask (per request
 * when the deployment refreshes per request, else the whole capture; it needs more rows than the width). The attacker
 * then matches wᵢ + x̄. With a fresh mask per call nothing cancels and the estimate is noise.
 */
public final class DifferencingAttack extends RankedAttack implements TalariaAttack {

    public DifferencingAttack(int k) {
        super("differencing across calls (mask reuse)", TokenStream.PROCESSED, k);
    }

    @Override
    public List<Guesses> attack(TalariaTarget t, Progress progress) {
        int d = t.config().hiddenSize();
        Nearest nearest = new Nearest(t.firstLayerCandidates(), d, Nearest.Metric.COSINE);
        return t.eachRequestByMaskGroup(progress, group -> {
            float[] all = t.firstLayerRows(group);
            float[] mean = mean(all, d), offset = sphereCentre(all, mean, d);
            return r -> {
                float[] z = t.in(r, TalariaTarget.FIRST_LAYER).data().clone();
                for (int i = 0; i < z.length; i++) z[i] += offset[i % d] - mean[i % d];
                return new Guesses(nearest.topK(z, k));
            };
        });
    }

    static float[] mean(float[] z, int d) {
        int n = z.length / d;
        double[] m = new double[d];
        for (int i = 0; i < z.length; i++) m[i % d] += z[i];
        float[] out = new float[d];
        for (int j = 0; j < d; j++) out[j] = (float) (m[j] / n);
        return out;
    }

    /**
     * The x̄ that puts every difference wᵢ = zᵢ − z̄ on one sphere around −x̄: ‖wᵢ + x̄‖² = c, i.e.
     * {@code −2wᵢ·x̄ + u = ‖wᵢ‖²} with u = c − ‖x̄‖², least squares in (x̄, u).
     */
    static float[] sphereCentre(float[] z, float[] mean, int d) {
        int n = z.length / d;
        float[] x = new float[n * d], y = new float[n];
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int j = 0; j < d; j++) {
                float w = z[i * d + j] - mean[j];
                x[i * d + j] = -2 * w;
                s += (double) w * w;
            }
            y[i] = (float) s;
        }
        return LeastSquares.fit(x, y, n, d, 1, 1e-9, true).weights(0);
    }
}
