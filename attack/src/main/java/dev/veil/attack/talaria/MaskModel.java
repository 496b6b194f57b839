package dev.veil.attack.talaria;

import dev.veil.talaria.protocol.MaskSpec;
import java.util.Random;

/**
 * The attacker's model of the deployment's mask distribution, from its public setting: it draws masks like the
 * client's (its own randomness, never the client's) to make training data for learned attacks. Rows are
 * RMS-normalised first-layer rows (rms 1, L2 norm √d), so the client's mask rms per coordinate is
 * {@code scale·√d} (the mask scale is relative to the rows' L2 norm).
 */
final class MaskModel {

    /** Rows that share a ReMO basis or a reused mask in the simulation (one simulated session). */
    private static final int SESSION_ROWS = 64;

    private final String mask;
    private final double scale;

    MaskModel(String mask, double scale) {
        this.mask = mask;
        this.scale = scale;
    }

    /** Adds simulated masks to the {@code n} rows of {@code x} (width {@code d}) in place. */
    void apply(float[] x, int n, int d, Random rnd) {
        if (mask.equals("none")) return;
        double sigma = scale * Math.sqrt(d);
        if (mask.startsWith("pool")) {
            for (int i = 0; i < n * d; i++) x[i] += (float) (sigma * rnd.nextGaussian());
            return;
        }
        for (int from = 0; from < n; from += SESSION_ROWS) {
            int to = Math.min(n, from + SESSION_ROWS);
            if (mask.startsWith("remo")) {
                int m = MaskSpec.parse(mask).rankFor(d);
                float[] basis = gaussians(m * d, 1, rnd);
                for (int i = from; i < to; i++)
                    for (int j = 0; j < m; j++) {
                        double p = sigma / Math.sqrt(m) * rnd.nextGaussian();
                        for (int c = 0; c < d; c++) x[i * d + c] += (float) (p * basis[j * d + c]);
                    }
            } else { // one reused additive mask per session
                float[] r = gaussians(d, sigma, rnd);
                for (int i = from; i < to; i++) for (int c = 0; c < d; c++) x[i * d + c] += r[c];
            }
        }
    }

    private static float[] gaussians(int n, double std, Random rnd) {
        float[] g = new float[n];
        for (int i = 0; i < n; i++) g[i] = (float) (std * rnd.nextGaussian());
        return g;
    }
}
