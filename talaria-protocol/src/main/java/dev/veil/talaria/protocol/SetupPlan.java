package dev.veil.talaria.protocol;

import java.util.EnumSet;
import java.util.Set;

/**
 * What a session needs from the setup authority. The client and the authority both derive every mask basis,
 * pool mask and check vector from the session seed under the labels below, so only the seed and this plan
 * travel to the authority and only products of them with the weights travel back.
 *
 * @param hidden       masks for the hidden-state products (QKV, O, GATE_UP, DOWN, LM head)
 * @param embed        masks for the one-hot rows of the embedding product
 * @param checkVectors Freivalds vectors per product for the result-integrity check (0 = no check)
 * @param local        products the client computes itself from a table it holds (the embedding lookup, a tied LM
 *                     head): nothing is masked or checked for them, so the authority computes nothing for them
 */
public record SetupPlan(MaskSpec hidden, MaskSpec embed, int checkVectors, Set<Product> local) {

    public SetupPlan {
        if (checkVectors < 0) throw new IllegalArgumentException("check vectors must be >= 0, got " + checkVectors);
        local = local.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(local));
        for (Product p : local)
            if (p != Product.EMBED && p != Product.LM_HEAD)
                throw new IllegalArgumentException(
                        "only the embedding and the LM head can be computed by the client, not " + p);
    }

    public SetupPlan(MaskSpec hidden, MaskSpec embed, int checkVectors) {
        this(hidden, embed, checkVectors, Set.of());
    }

    /** The same plan with one-time pools of at most {@code rows} rows each. */
    public SetupPlan capPools(int rows) {
        return new SetupPlan(hidden.capPool(rows), embed.capPool(rows), checkVectors, local);
    }

    /** The masks of product {@code name}'s rows; none for a product the client computes itself. */
    public MaskSpec spec(ModelName name) {
        if (local.contains(name.product())) return MaskSpec.NONE;
        return name.product() == Product.EMBED ? embed : hidden;
    }

    /** Freivalds vectors for product {@code name}: none for a product the client computes itself. */
    public int checkVectors(ModelName name) {
        return local.contains(name.product()) ? 0 : checkVectors;
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
