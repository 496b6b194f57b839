package dev.veil.talaria.protocol;

import dev.veil.model.ModelConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One weight product as a KServe V2 model name: {@code embed}, {@code layer.{i}.qkv}, {@code layer.{i}.o},
 * {@code layer.{i}.gate_up}, {@code layer.{i}.down}, {@code lm_head}. Each is a stateless model of its own,
 * so Triton or KServe could host them and replicas can sit behind a load balancer.
 *
 * @param layer the decoder layer, or -1 for the per-model products (embed, lm_head)
 */
public record ModelName(Product product, int layer) {

    public ModelName {
        if (product.perLayer() != (layer >= 0))
            throw new IllegalArgumentException(product + (product.perLayer() ? " needs a layer index" : " takes no layer index"));
    }

    public static ModelName of(Product product, int layer) {
        return new ModelName(product, product.perLayer() ? layer : -1);
    }

    public static final ModelName EMBED = new ModelName(Product.EMBED, -1);
    public static final ModelName LM_HEAD = new ModelName(Product.LM_HEAD, -1);

    /** The wire name. */
    @Override
    public String toString() {
        String suffix = product.name().toLowerCase(Locale.ROOT);
        return product.perLayer() ? "layer." + layer + "." + suffix : suffix;
    }

    /** Parses a wire name, checking the layer against the model; errors say what is wrong with the name. */
    public static ModelName parse(String name, ModelConfig config) {
        if (name.equals("embed")) return EMBED;
        if (name.equals("lm_head")) return LM_HEAD;
        String[] parts = name.split("\\.");
        if (parts.length == 3 && parts[0].equals("layer")) {
            Product p = switch (parts[2]) {
                case "qkv" -> Product.QKV;
                case "o" -> Product.O;
                case "gate_up" -> Product.GATE_UP;
                case "down" -> Product.DOWN;
                default -> null;
            };
            int layer;
            try {
                layer = Integer.parseInt(parts[1]);
            } catch (NumberFormatException e) {
                layer = -1;
            }
            if (p != null && layer >= 0 && layer < config.numLayers()) return new ModelName(p, layer);
            if (p != null)
                throw new IllegalArgumentException("unknown model '" + name + "': layer index must be 0.." + (config.numLayers() - 1));
        }
        throw new IllegalArgumentException("unknown model '" + name
                + "' (models: embed, layer.{i}.qkv, layer.{i}.o, layer.{i}.gate_up, layer.{i}.down, lm_head)");
    }

    /** Every product of a model, embedding first, LM head last. */
    public static List<ModelName> all(ModelConfig config) {
        List<ModelName> names = new ArrayList<>();
        names.add(EMBED);
        for (int i = 0; i < config.numLayers(); i++)
            for (Product p : List.of(Product.QKV, Product.O, Product.GATE_UP, Product.DOWN)) names.add(new ModelName(p, i));
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
