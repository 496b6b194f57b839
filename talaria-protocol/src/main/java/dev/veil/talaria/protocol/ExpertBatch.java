package dev.veil.talaria.protocol;

import dev.veil.model.ModelConfig;

/**
 * Several experts' products of one sparse layer in one call (design D10): the V2 model
 * {@code layer.{i}.experts.gate_up} or {@code layer.{i}.experts.down}, whose inputs are {@code input.{e}} (expert e's
 * masked rows, {@code [n_e, in]}, each masked by that expert's own {@link ModelName}'s session material, as a lone call
 * would be) and whose outputs are {@code output.{e}}. The cloud sees the same rows as in one call per expert, in one
 * round trip instead of one per expert.
 *
 * @param product {@link Product#EXPERT_GATE_UP} or {@link Product#EXPERT_DOWN}
 */
public record ExpertBatch(Product product, int layer) {

    public ExpertBatch {
        if (!product.perExpert()) throw new IllegalArgumentException(product + " is not an expert product");
        if (layer < 0) throw new IllegalArgumentException("layer must be >= 0, got " + layer);
    }

    /** Expert {@code e}'s own product, whose masks and weights its rows use. */
    public ModelName member(int expert) {
        return new ModelName(product, layer, expert);
    }

    public static String input(int expert) {
        return "input." + expert;
    }

    public static String output(int expert) {
        return "output." + expert;
    }

    /** The expert a tensor named {@code prefix.{e}} is for; errors name what is wrong. */
    public static int expertOf(String tensor, String prefix, ModelConfig c) {
        String p = prefix + ".";
        int e = -1;
        if (tensor.startsWith(p) && tensor.length() > p.length() && tensor.length() <= p.length() + 6) {
            try {
                e = Integer.parseInt(tensor.substring(p.length()));
            } catch (NumberFormatException ignored) {
                // not a number: refused below
            }
        }
        if (e < 0 || e >= c.moe().numExperts())
            throw new IllegalArgumentException("tensor '" + tensor + "' is not " + p + "{e} with e in 0.."
                    + (c.moe().numExperts() - 1));
        return e;
    }

    /** The wire name. */
    @Override
    public String toString() {
        return "layer." + layer + ".experts." + (product == Product.EXPERT_GATE_UP ? "gate_up" : "down");
    }

    /**
     * Parses {@code layer.{i}.experts.gate_up|down} of a sparse layer; null when the name has another form; errors
     * when it has this form but names no sparse layer.
     */
    public static ExpertBatch parse(String name, ModelConfig c) {
        String[] parts = name.split("\\.");
        if (parts.length != 4 || !parts[0].equals("layer") || !parts[2].equals("experts")) return null;
        Product p = switch (parts[3]) {
            case "gate_up" -> Product.EXPERT_GATE_UP;
            case "down" -> Product.EXPERT_DOWN;
            default -> null;
        };
        int layer = ModelName.index(parts[1]);
        if (p == null || c.moe() == null || layer < 0 || layer >= c.numLayers() || !c.isMoeLayer(layer))
            throw new IllegalArgumentException("unknown model '" + name
                    + "': layer.{i}.experts.gate_up|down needs a sparse layer i of a mixture-of-experts model");
        return new ExpertBatch(p, layer);
    }

    public int inDim(ModelConfig c) {
        return product.inDim(c);
    }

    public int outDim(ModelConfig c) {
        return product.outDim(c);
    }
}
