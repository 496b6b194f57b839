package dev.veil.talaria.authority;

import dev.veil.model.ModelConfig;
import dev.veil.talaria.cloud.FoldedModel;
import dev.veil.talaria.cloud.FoldedProduct;
import dev.veil.talaria.protocol.MaskPrg;
import dev.veil.talaria.protocol.MaskSpec;
import dev.veil.talaria.protocol.ModelName;
import dev.veil.talaria.protocol.SetupBundle;
import dev.veil.talaria.protocol.SetupPlan;
import dev.veil.talaria.protocol.SetupRequest;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The setup authority: a party that holds the weights but is not the cloud (the model vendor in its own attested
 * environment, or a party that does not collude with the cloud). Given a session's secret seed it expands the same
 * mask bases the client will use and returns their products with the folded weights — R_pub = M_pub·Wᵀ, pool
 * products r_j·Wᵀ and Freivalds check vectors Wᵀ·v — so the client can unmask without the cloud ever learning M_pub.
 * Products are summed with compensation (error near one rounding) so the unmasking error is the cloud's rounding alone.
 */
public final class SetupAuthority {

    private static final int CHUNK_ROWS = 64;

    /** The most bundle bytes one reply body can carry (a Java array, with room for the JSON header). */
    public static final long REPLY_LIMIT_BYTES = Integer.MAX_VALUE - (1 << 20);

    private final FoldedModel model;

    public SetupAuthority(FoldedModel model) {
        this.model = model;
    }

    public FoldedModel model() {
        return model;
    }

    public SetupBundle compute(SetupRequest request) {
        SetupPlan plan = request.plan();
        checkBundleSize(plan);
        Map<ModelName, SetupBundle.Material> out = new LinkedHashMap<>();
        for (ModelName n : ModelName.all(model.config())) {
            FoldedProduct p = model.get(n);
            MaskSpec spec = plan.spec(n);
            float[] rPub =
                    timesWeights(MaskPrg.derive(request.seed(), SetupPlan.basisLabel(n)), spec.rankFor(p.inDim()), p);
            float[] poolU = timesWeights(MaskPrg.derive(request.seed(), SetupPlan.poolLabel(n)), spec.poolRows(), p);
            int k = plan.checkVectors(n);
            float[] checkW = new float[k * p.inDim()], checkB = new float[k];
            if (k > 0) {
                float[] v =
                        MaskPrg.derive(request.seed(), SetupPlan.checkLabel(n)).gaussians(k * p.outDim(), 1.0);
                for (int j = 0; j < k; j++) checkVector(p, v, j, checkW, checkB);
            }
            out.put(n, new SetupBundle.Material(rPub, poolU, checkW, checkB));
        }
        return new SetupBundle(out);
    }

    /**
     * Refuses, before any work, a plan whose bundle would not fit one reply body (2 GiB): e.g. a pool of 4096 rows on a
     * 200M-parameter model, which would also cost 4096 rows of every product to compute.
     */
    private void checkBundleSize(SetupPlan plan) {
        checkBundleSize(plan, REPLY_LIMIT_BYTES, "more than one reply can carry");
    }

    /** Refuses a plan whose bundle exceeds {@code limit} bytes; {@code why} names the limit. */
    public void checkBundleSize(SetupPlan plan, long limit, String why) {
        long bytes = bundleBytes(plan);
        if (bytes > limit)
            throw new IllegalArgumentException(String.format(
                    "this setup's material would be %.1f GB (%s, and as many rows "
                            + "of every product to compute); ask for fewer rows: a smaller pool (--mask pool:N, --embed-mask pool:N), "
                            + "a smaller ReMO rank, or --refresh request (pools sized to each request)",
                    bytes / 1e9, why));
    }

    /** The bytes of the bundle {@code plan} asks for (its floats; the encoded reply is as large again). */
    public long bundleBytes(SetupPlan plan) {
        long floats = 0;
        for (ModelName n : ModelName.all(model.config())) {
            SetupBundle.Shapes s = SetupBundle.Shapes.of(n, model.config(), plan);
            floats += s.rPub() + s.poolU() + s.checkW() + s.checkB();
        }
        return floats * Float.BYTES;
    }

    /**
     * How many input directions of product {@code n}'s weights the material for {@code plan} reveals to the client, which
     * knows the vectors: the m rows of M_pub (R_pub = M_pub·Wᵀ), each pool row (u_j = r_j·Wᵀ) and each check vector
     * (Wᵀ·v_k, counted alike). With d_in independent directions of one product the client could solve for W.
     */
    public static long directions(ModelName n, ModelConfig c, SetupPlan plan) {
        MaskSpec spec = plan.spec(n);
        return (long) spec.rankFor(n.inDim(c)) + spec.poolRows() + plan.checkVectors(n);
    }

    /**
     * {@code rows} Gaussian rows drawn from {@code prg}, each times Wᵀ: [rows × outDim], one chunk of rows at a time
     * ({@link FoldedProduct#multiplyExact}).
     */
    static float[] timesWeights(MaskPrg prg, int rows, FoldedProduct p) {
        int in = p.inDim(), outDim = p.outDim();
        float[] result = new float[rows * outDim];
        float[] chunk = new float[CHUNK_ROWS * in];
        for (int from = 0; from < rows; from += CHUNK_ROWS) {
            int count = Math.min(CHUNK_ROWS, rows - from), base = from;
            prg.gaussians(chunk, 0, count * in, 1.0);
            p.multiplyExact(chunk, count, result, base * outDim);
        }
        return result;
    }

    /** w_j = Wᵀ·v_j and β_j = b·v_j for check vector j. */
    private static void checkVector(FoldedProduct p, float[] v, int j, float[] checkW, float[] checkB) {
        int in = p.inDim(), outDim = p.outDim();
        double[] acc = new double[in];
        double beta = 0;
        float[] w = p.weight(); // read once: weight() is a volatile read, which kept this loop from being vectorised
        for (int o = 0; o < outDim; o++) {
            double vo = v[j * outDim + o];
            for (int k = 0; k < in; k++) acc[k] += vo * w[o * in + k];
            if (p.bias() != null) beta += vo * p.bias()[o];
        }
        for (int k = 0; k < in; k++) checkW[j * in + k] = (float) acc[k];
        checkB[j] = (float) beta;
    }
}
