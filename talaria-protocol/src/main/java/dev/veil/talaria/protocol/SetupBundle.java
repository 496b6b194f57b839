package dev.veil.talaria.protocol;

import dev.veil.model.ModelConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the setup authority returns for a session: per product, the products of the session's secret vectors with
 * the (norm-folded) weights. Travels as a V2-style binary body (JSON header + FP32 tensors named
 * {@code <model>/r_pub}, {@code /pool_u}, {@code /check_w}, {@code /check_b}).
 */
public record SetupBundle(Map<ModelName, Material> materials) {

    /**
     * @param rPub   R_pub = M_pub·Wᵀ, m × d_out (ReMO), or empty
     * @param poolU  u_j = r_j·Wᵀ, poolRows × d_out (one-time pool), or empty
     * @param checkW w_k = Wᵀ·v_k, K × d_in (Freivalds), or empty
     * @param checkB β_k = b·v_k, K (the bias's share of the check; 0 without a bias)
     */
    public record Material(float[] rPub, float[] poolU, float[] checkW, float[] checkB) {}

    public SetupBundle {
        materials = Map.copyOf(materials);
    }

    public Material get(ModelName name) {
        Material m = materials.get(name);
        if (m == null) throw new IllegalArgumentException("setup bundle has nothing for " + name);
        return m;
    }

    public V2Codec.Body encode() {
        List<InferTensor> tensors = new ArrayList<>();
        materials.forEach((name, m) -> {
            tensors.add(InferTensor.matrix(name + "/r_pub", m.rPub(), 1, m.rPub().length));
            tensors.add(InferTensor.matrix(name + "/pool_u", m.poolU(), 1, m.poolU().length));
            tensors.add(InferTensor.matrix(name + "/check_w", m.checkW(), 1, m.checkW().length));
            tensors.add(InferTensor.matrix(name + "/check_b", m.checkB(), 1, m.checkB().length));
        });
        return new InferResponse("talaria-setup", null, tensors).encode();
    }

    /**
     * Decodes a bundle and checks every tensor's size against what {@code plan} asks of {@code config}: a bundle made for
     * another model or another plan is refused with the first mismatch named.
     */
    public static SetupBundle decode(byte[] body, int jsonLength, ModelConfig config, SetupPlan plan) {
        Map<String, float[]> byName = new LinkedHashMap<>();
        for (InferTensor t : InferResponse.decode(body, jsonLength).outputs()) byName.put(t.name(), t.data());
        Map<ModelName, Material> out = new LinkedHashMap<>();
        for (ModelName n : ModelName.all(config)) {
            Shapes s = Shapes.of(n, config, plan);
            out.put(
                    n,
                    new Material(
                            take(byName, n + "/r_pub", s.rPub),
                            take(byName, n + "/pool_u", s.poolU),
                            take(byName, n + "/check_w", s.checkW),
                            take(byName, n + "/check_b", s.checkB)));
        }
        if (!byName.isEmpty())
            throw new IllegalArgumentException("setup bundle has unexpected tensors " + byName.keySet());
        return new SetupBundle(out);
    }

    private static float[] take(Map<String, float[]> byName, String name, long expected) {
        float[] t = byName.remove(name);
        if (t == null) throw new IllegalArgumentException("setup bundle lacks tensor '" + name + "'");
        if (t.length != expected)
            throw new IllegalArgumentException("setup bundle tensor '" + name + "' has " + t.length
                    + " values, expected " + expected + " (made for another model or plan?)");
        return t;
    }

    /** The sizes {@code plan} implies for product {@code n}. */
    public record Shapes(long rPub, long poolU, long checkW, long checkB) {
        public static Shapes of(ModelName n, ModelConfig c, SetupPlan plan) {
            MaskSpec spec = plan.spec(n);
            long in = n.inDim(c), out = n.outDim(c), k = plan.checkVectors(n);
            return new Shapes((long) spec.rankFor((int) in) * out, (long) spec.poolRows() * out, k * in, k);
        }
    }
}
