package dev.veil.aloepri.experiment;

import dev.veil.aloepri.ModelObfuscator;
import dev.veil.engine.ForwardingBackend;
import dev.veil.engine.KvCache;
import dev.veil.engine.Transformer;
import dev.veil.engine.backend.LocalLinearBackend;
import dev.veil.engine.kernel.Parallel;
import dev.veil.model.ModelConfig;
import dev.veil.model.Weights;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The routing error an obfuscation introduces in a mixture-of-experts model: the plain model runs the tokens, the
 * obfuscated model runs τ(tokens), and for every sparse layer and token the top-k expert set the obfuscated router
 * chose (mapped back through the compiler's expert permutation) is compared with the plain one. Each model follows its
 * own routing, so a change in one layer carries into the next ones, as it would in deployment.
 */
public final class RoutingError {

    private RoutingError() {}

    /** @param changed share of (sparse layer, token) pairs whose top-k expert set differs; {@code perLayer} the same per sparse layer */
    public record Result(double changed, double[] perLayer, int tokens) {}

    public static Result measure(ModelObfuscator obfuscator, Weights plain, Weights obfuscated, int[] tokens) {
        ModelConfig c = obfuscator.plainConfig();
        if (c.moe() == null) throw new IllegalArgumentException(c.architecture().hfClass + " has no experts");
        List<int[]> plainChoice = choices(c, plain, tokens);
        List<int[]> obfChoice = choices(
                obfuscator.obfuscatedConfig(),
                obfuscated,
                obfuscator.permutation().obfuscate(tokens));
        int k = c.moe().expertsPerToken(), n = tokens.length;
        double[] perLayer = new double[plainChoice.size()];
        int changed = 0, sparse = 0;
        for (int l = 0, s = 0; l < c.numLayers(); l++) {
            if (!c.isMoeLayer(l)) continue;
            int[] order = obfuscator.expertOrder(l), p = plainChoice.get(s), o = obfChoice.get(s);
            int layerChanged = 0;
            for (int r = 0; r < n; r++) {
                int[] a = Arrays.copyOfRange(p, r * k, (r + 1) * k), b = new int[k];
                for (int j = 0; j < k; j++) b[j] = order[o[r * k + j]];
                Arrays.sort(a);
                Arrays.sort(b);
                if (!Arrays.equals(a, b)) layerChanged++;
            }
            perLayer[s++] = (double) layerChanged / n;
            changed += layerChanged;
            sparse++;
        }
        return new Result((double) changed / (sparse * n), perLayer, n);
    }

    /** Each sparse layer's chosen experts {@code [n × k]}, in layer order. */
    private static List<int[]> choices(ModelConfig c, Weights w, int[] tokens) {
        List<int[]> out = new ArrayList<>();
        var recorder = new ForwardingBackend(new LocalLinearBackend(c, w, Parallel.shared())) {
            @Override
            public void route(int layer, float[] x, int n, float[] logits) {
                inner.route(layer, x, n, logits);
                int[] chosen = new int[n * c.moe().expertsPerToken()];
                Transformer.route(c.moe(), logits.clone(), n, chosen, new float[chosen.length]);
                out.add(chosen);
            }
        };
        new Transformer(recorder).append(tokens, new KvCache(c, tokens.length));
        return out;
    }
}
