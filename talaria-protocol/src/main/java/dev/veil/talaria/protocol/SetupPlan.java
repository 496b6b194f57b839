package dev.veil.talaria.protocol;

/**
 * What a session needs from the setup authority. The client and the authority both derive every mask basis,
 * pool mask and check vector from the session seed under the labels below, so only the seed and this plan
 * travel to the authority and only products of them with the weights travel back.
 *
 * @param hidden       masks for the hidden-state products (QKV, O, GATE_UP, DOWN, LM head)
 * @param embed        masks for the one-hot rows of the embedding product
 * @param checkVectors Freivalds vectors per product for the result-integrity check (0 = no check)
 */
public record SetupPlan(MaskSpec hidden, MaskSpec embed, int checkVectors) {

    public SetupPlan {
        if (checkVectors < 0) throw new IllegalArgumentException("check vectors must be >= 0, got " + checkVectors);
    }

    /** The same plan with one-time pools of at most {@code rows} rows each. */
    public SetupPlan capPools(int rows) {
        return new SetupPlan(hidden.capPool(rows), embed.capPool(rows), checkVectors);
    }

    public MaskSpec spec(ModelName name) {
        return name.product() == Product.EMBED ? embed : hidden;
    }

    /** True when the session needs nothing from the authority. */
    public boolean empty() {
        return hidden.kind() == MaskSpec.Kind.NONE && embed.kind() == MaskSpec.Kind.NONE && checkVectors == 0;
    }

    /** Label of the ReMO basis M_pub (m × d_in) of a product. */
    public static String basisLabel(ModelName n) {
        return "m_pub/" + n;
    }

    /** Label of the one-time pool masks r_j (poolRows × d_in) of a product. */
    public static String poolLabel(ModelName n) {
        return "pool/" + n;
    }

    /** Label of the Freivalds vectors v_k (checkVectors × d_out) of a product. */
    public static String checkLabel(ModelName n) {
        return "check/" + n;
    }
}
