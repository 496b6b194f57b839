package dev.veil.verify;

import dev.veil.engine.ForwardingBackend;
import dev.veil.engine.LinearBackend;
import java.util.Arrays;

/**
 * A backend that passes everything to another and records the narrowest routing decision a pass made: over every
 * row of every mixture-of-experts layer, the gap between the k-th and (k+1)-th router probability. Two engines that
 * round differently can only choose different experts where this gap is within their rounding difference.
 */
final class RouterMargins extends ForwardingBackend {
    private double min = Double.POSITIVE_INFINITY;

    RouterMargins(LinearBackend inner) {
        super(inner);
    }

    /** The narrowest gap since the last reset (+∞ when no router ran). */
    double min() {
        return min;
    }

    void reset() {
        min = Double.POSITIVE_INFINITY;
    }

    @Override
    public void route(int layer, float[] x, int n, float[] out) {
        inner.route(layer, x, n, out);
        int experts = config().moe().numExperts(), k = config().moe().expertsPerToken();
        for (int r = 0; r < n; r++) {
            double[] p = new double[experts];
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int e = 0; e < experts; e++) max = Math.max(max, out[r * experts + e]);
            for (int e = 0; e < experts; e++) sum += p[e] = Math.exp(out[r * experts + e] - max);
            for (int e = 0; e < experts; e++) p[e] /= sum;
            Arrays.sort(p);
            min = Math.min(min, p[experts - k] - p[experts - k - 1]);
        }
    }
}
