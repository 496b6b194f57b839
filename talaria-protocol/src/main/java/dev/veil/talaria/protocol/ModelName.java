package dev.veil.talaria.protocol;

import dev.veil.model.ModelConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One weight product as a KServe V2 model name: {@code embed}, {@code layer.{i}.qkv}, {@code layer.{i}.o},
 * {@code layer.{i}.gate_up}, {@code layer.{i}.down}, {@code lm_head}; in a mixture-of-experts layer
 * {@code layer.{i}.router}, {@code layer.{i}.expert.{e}.gate_up} and {@code layer.{i}.expert.{e}.down} instead of
 * gate_up and down. Each is a stateless model of its own, so Triton or KServe could host them and replicas can sit
 * behind a load balancer.
 *
 * @param layer  the decoder layer, or -1 for the per-model products (embed, lm_head)
 * @param expert the expert of an expert's product, else -1
 */
public record ModelName(Product product, int layer, int expert) {

    public ModelName {
        if (product.perLayer() != (layer >= 0))
            throw new IllegalArgumentException(
                    product + (product.perLayer() ? " needs a layer index" : " takes no layer index"));
        if (product.perExpert() != (expert >= 0))
            throw new IllegalArgumentException(
                    product + (product.perExpert() ? " needs an expert index" : " takes no expert index"));
    }

    public ModelName(Product product, int layer) {
        this(product, layer, -1);
    }

    public static ModelName of(Product product, int layer) {
        return new ModelName(product, product.perLayer() ? layer : -1);
    }

    public static final ModelName EMBED = new ModelName(Product.EMBED, -1);
    public static final ModelName LM_HEAD = new ModelName(Product.LM_HEAD, -1);

    /** The wire name. */
    @Override
    public String toString() {
        String suffix = product.name().toLowerCase(Locale.ROOT).replace("expert_", "");
        if (product.perExpert()) return "layer." + layer + ".expert." + expert + "." + suffix;
        return product.perLayer() ? "layer." + layer + "." + suffix : suffix;
    }

    /** Parses a wire name, checking the layer against the model; errors say what is wrong with the name. */
    public static ModelName parse(String name, ModelConfig config) {
        if (name.equals("embed")) return EMBED;
        if (name.equals("lm_head")) return LM_HEAD;
        String[] parts = name.split("\\.");
        if (parts.length == 5 && parts[0].equals("layer") && parts[2].equals("expert") && config.moe() != null) {
            Product p = parts[4].equals("gate_up")
                    ? Product.EXPERT_GATE_UP
                    : parts[4].equals("down") ? Product.EXPERT_DOWN : null;
            int layer = index(parts[1]), expert = index(parts[3]);
            if (p != null
                    && layer < config.numLayers()
                    && expert < config.moe().numExperts()
                    && layer >= 0
                    && expert >= 0) return new ModelName(p, layer, expert);
        }
        if (parts.length == 3 && parts[0].equals("layer")) {
            Product p = switch (parts[2]) {
                case "qkv" -> Product.QKV;
                case "o" -> Product.O;
                case "gate_up" -> Product.GATE_UP;
                case "down" -> Product.DOWN;
                case "router" -> config.moe() != null ? Product.ROUTER : null;
                default -> null;
            };
            int layer = index(parts[1]);
            if (p != null && layer >= 0 && layer < config.numLayers()) return new ModelName(p, layer);
            if (p != null)
                throw new IllegalArgumentException(
                        "unknown model '" + name + "': layer index must be 0.." + (config.numLayers() - 1));
        }
        throw new IllegalArgumentException("unknown model '" + name
                + "' (models: embed, layer.{i}.qkv, layer.{i}.o, layer.{i}.gate_up, layer.{i}.down, lm_head"
                + (config.moe() == null
                        ? ""
                        : ", layer.{i}.router, layer.{i}.expert.{e}.gate_up, layer.{i}.expert.{e}.down")
                + ")");
    }

    /** The integer {@code s}, or -1 when it is not one. */
    static int index(String s) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Every product of a model, embedding first, LM head last. */
    public static List<ModelName> all(ModelConfig config) {
        List<ModelName> names = new ArrayList<>();
        names.add(EMBED);
        for (int i = 0; i < config.numLayers(); i++) {
            names.add(new ModelName(Product.QKV, i));
            names.add(new ModelName(Product.O, i));
            if (config.isMoeLayer(i)) {
                names.add(new ModelName(Product.ROUTER, i));
                for (int e = 0; e < config.moe().numExperts(); e++) {
                    names.add(new ModelName(Product.EXPERT_GATE_UP, i, e));
                    names.add(new ModelName(Product.EXPERT_DOWN, i, e));
                }
            } else {
                names.add(new ModelName(Product.GATE_UP, i));
                names.add(new ModelName(Product.DOWN, i));
            }
        }
        names.add(LM_HEAD);
        return names;
    }

    public int inDim(ModelConfig c) {
        return product.inDim(c);
    }

    public int outDim(ModelConfig c) {
        return product.outDim(c);
    }
}
