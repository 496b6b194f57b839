package dev.veil.talaria.client;

import dev.veil.model.ModelConfig;
import dev.veil.talaria.protocol.MaskPrg;
import dev.veil.talaria.protocol.MaskSpec;
import dev.veil.talaria.protocol.ModelName;
import dev.veil.talaria.protocol.SetupBundle;
import dev.veil.talaria.protocol.SetupPlan;
import java.util.Arrays;

/**
 * A session's secrets for one product: what masks the rows sent to it and what removes the mask from the reply.
 *
 * <ul>
 *   <li>ReMO: {@code z = x + P·M_pub} with fresh coefficients P (n × m, N(0, σ²/m)) every call, so each mask
 *       coordinate has rms σ; the reply {@code z·Wᵀ + b} is unmasked by subtracting {@code P·R_pub}.</li>
 *   <li>Pool: {@code z_i = x_i + σ·r_j} with the next unused pool row r_j (full rank, never reused); subtract
 *       {@code σ·u_j}.</li>
 *   <li>Freivalds: for each secret check vector v, {@code y·v} must equal {@code z·(Wᵀv) + b·v}.</li>
 * </ul>
 */
final class ProductMasker {

    /** Relative tolerance of the Freivalds check: ~100× the FP32 rounding of an honest product. */
    static final double CHECK_TOLERANCE = 1e-4;

    final ModelName name;
    final int in, out;
    private final MaskSpec spec;
    private final int rank;
    private final float[] basis; // M_pub, rank × in
    private final float[] rPub; // R_pub = M_pub·Wᵀ, rank × out
    private final MaskPrg poolStream;
    private final float[] poolU; // poolRows × out
    private int poolNext;
    private final int checks;
    private final float[] checkV, checkW, checkB;
    private double worstCheck;

    ProductMasker(ModelName name, ModelConfig c, SetupPlan plan, byte[] seed, SetupBundle.Material material) {
        this.name = name;
        this.in = name.inDim(c);
        this.out = name.outDim(c);
        this.spec = plan.spec(name);
        this.rank = spec.rankFor(in);
        this.basis = rank == 0
                ? null
                : MaskPrg.derive(seed, SetupPlan.basisLabel(name)).gaussians(rank * in, 1.0);
        this.rPub = material == null ? null : material.rPub();
        this.poolStream = spec.kind() == MaskSpec.Kind.POOL ? MaskPrg.derive(seed, SetupPlan.poolLabel(name)) : null;
        this.poolU = material == null ? null : material.poolU();
        this.checks = plan.checkVectors(name);
        this.checkV = checks == 0
                ? null
                : MaskPrg.derive(seed, SetupPlan.checkLabel(name)).gaussians(checks * out, 1.0);
        this.checkW = material == null ? null : material.checkW();
        this.checkB = material == null ? null : material.checkB();
    }

    /** Rows left in the one-time pool (Integer.MAX_VALUE when not pooling). */
    synchronized int poolLeft() {
        return poolStream == null ? Integer.MAX_VALUE : spec.poolRows() - poolNext;
    }

    /**
     * Adds a fresh mask of per-coordinate rms {@code sigma} to the {@code n} rows of {@code z} in place and returns the
     * term to subtract from the reply ([n × out]), or null when the rows go unmasked.
     */
    synchronized float[] mask(float[] z, int n, double sigma, MaskPrg fresh) {
        return switch (spec.kind()) {
            case NONE -> null;
            case REMO -> {
                // summed in double and rounded once: the cloud multiplies the z actually sent, while P·R_pub removes
                // the
                // exact P·M_pub, so the mask's own rounding stays in the result; summed in float over m terms it grew
                // with σ·√m and, at the depth-scaled σ, flipped near-tied logits of a model's held-out text
                float[] p = fresh.gaussians(n * rank, sigma / Math.sqrt(rank));
                float[] correction = new float[n * out];
                double[] mask = new double[in], corr = new double[out];
                for (int i = 0; i < n; i++) {
                    Arrays.fill(mask, 0);
                    Arrays.fill(corr, 0);
                    for (int j = 0; j < rank; j++) {
                        double pij = p[i * rank + j];
                        for (int k = 0; k < in; k++) mask[k] += pij * basis[j * in + k];
                        for (int k = 0; k < out; k++) corr[k] += pij * rPub[j * out + k];
                    }
                    for (int k = 0; k < in; k++) z[i * in + k] = (float) (z[i * in + k] + mask[k]);
                    for (int k = 0; k < out; k++) correction[i * out + k] = (float) corr[k];
                }
                yield correction;
            }
            case POOL -> {
                if (poolLeft() < n) throw new PoolExhaustedException(name, spec.poolRows());
                float[] r = new float[in];
                float[] correction = new float[n * out];
                float s = (float) sigma;
                for (int i = 0; i < n; i++, poolNext++) {
                    poolStream.gaussians(r, 0, in, 1.0);
                    Kernels.axpy(s, r, 0, z, i * in, in);
                    Kernels.axpy(s, poolU, poolNext * out, correction, i * out, out);
                }
                yield correction;
            }
        };
    }

    /** Freivalds: every reply row must satisfy {@code y·v = z·w + β} for every check vector. */
    synchronized void check(float[] z, int n, float[] y) {
        for (int k = 0; k < checks; k++) {
            double wNorm = Kernels.norm(checkW, k * in, in);
            for (int i = 0; i < n; i++) {
                double lhs = Kernels.dot(y, i * out, checkV, k * out, out);
                double rhs = Kernels.dot(z, i * in, checkW, k * in, in) + checkB[k];
                double scale = Kernels.norm(y, i * out, out)
                        + Kernels.norm(z, i * in, in) * wNorm / Math.sqrt(in)
                        + Math.abs(checkB[k]);
                double deviation = Math.abs(lhs - rhs) / Math.max(scale, Double.MIN_NORMAL);
                worstCheck = Math.max(worstCheck, deviation);
                if (!(deviation <= CHECK_TOLERANCE))
                    throw new IntegrityException("the cloud's reply for " + name + " failed the integrity check (row "
                            + i
                            + ", check vector " + k + ": relative deviation " + String.format("%.3g", deviation)
                            + " > " + CHECK_TOLERANCE + "): it did not compute z·Wᵀ for the vouched-for weights");
            }
        }
    }

    /** Largest relative deviation an accepted reply had (how close honest replies come to the tolerance). */
    synchronized double worstCheck() {
        return worstCheck;
    }

    /** A pool ran out: the session must be renewed before this product can be masked again. */
    static final class PoolExhaustedException extends TalariaException {
        PoolExhaustedException(ModelName name, int rows) {
            super("the one-time mask pool of " + name + " (" + rows + " rows) is used up");
        }
    }
}
