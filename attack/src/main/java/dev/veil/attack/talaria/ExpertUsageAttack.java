package dev.veil.attack.talaria;

import dev.veil.attack.Progress;
import dev.veil.attack.aloepri.FrequencyMatchingAttack;
import dev.veil.attack.metrics.Guesses;
import dev.veil.engine.ForwardingBackend;
import dev.veil.engine.GenerationOptions;
import dev.veil.engine.Generator;
import dev.veil.engine.KvCache;
import dev.veil.engine.LinearBackend;
import dev.veil.engine.SamplingParams;
import dev.veil.engine.Transformer;
import dev.veil.model.ModelConfig;
import dev.veil.talaria.client.ExpertCover;
import dev.veil.talaria.protocol.MaskPrg;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * The expert-usage attack on Talaria for mixture-of-experts models: from the set of experts the cloud served for each
 * token at each sparse layer, recover the tokens. The attacker holds the public model, so it replays the forward pass
 * itself: with the prefix it has decoded so far in a KV cache, it runs each candidate next token (most frequent in
 * public text first) and takes the first whose own top-k experts fall inside the observed set at every sparse layer.
 * At position 0 the first sparse layer's routing is a pure function of the token; further on, the decoded prefix gives
 * the context that deeper routing depends on. A candidate is dropped at the first layer it contradicts, so a leaky
 * setting is cheap to attack. If no candidate fits every layer (an earlier guess was wrong), the one that fits the
 * most layers in a row wins.
 *
 * <p>With top-k and no decoys the observed set is the routing itself; with D uniform decoys every candidate whose
 * experts lie in the (k + D)-set is equally likely (each D-subset of the rest is drawn alike), so the attack breaks
 * ties by the public prior; with every expert called, every candidate fits and the attack is the prior: it reads
 * nothing.
 */
public final class ExpertUsageAttack {

    public static final String NAME = "expert usage: replay the public model, first token whose routing fits";

    /**
     * What the cloud saw of one request: for each token the forward passes ran (prompt, then generated), for each
     * sparse layer in order, the experts that received its row ({@code sent[position][sparse · experts + e]}).
     */
    public record Observation(int experts, int sparseLayers, boolean[][] sent) {}

    private final ModelConfig config;
    private final LinearBackend publicModel;
    private final int[] prior;

    /**
     * @param publicModel  the public weights' backend
     * @param publicTokens public text, tokenized: candidates are tried in the order of their count there
     */
    public ExpertUsageAttack(ModelConfig config, LinearBackend publicModel, int[] publicTokens) {
        if (config.moe() == null)
            throw new IllegalArgumentException(
                    "the expert-usage attack needs a mixture-of-experts model, not " + config.architecture());
        this.config = config;
        this.publicModel = publicModel;
        this.prior = FrequencyMatchingAttack.byCountOrder(publicTokens, config.vocabSize());
    }

    /** The sparse layers of {@code c}, in order. */
    static int[] sparseLayers(ModelConfig c) {
        return java.util.stream.IntStream.range(0, c.numLayers())
                .filter(c::isMoeLayer)
                .toArray();
    }

    /**
     * Runs a request greedily through {@code model} with {@code cover} deciding which experts get each row (decoys from
     * {@code random}), and records what the cloud would be served: the same {@link ExpertCover} code as the client's
     * {@code MaskedRemoteBackend}. In decode every call is one row, so the per-token sets are exactly what the cloud
     * sees; in prefill the cloud sees each expert's rows of the prompt in order, and this hands the attacker the per-row
     * sets (at least what it can align).
     *
     * @return the observation and the tokens the passes ran (the truth)
     */
    public static Recorded observe(
            ModelConfig config, LinearBackend model, ExpertCover cover, MaskPrg random, int[] prompt, int maxTokens) {
        int experts = config.moe().numExperts();
        int[] sparse = sparseLayers(config);
        List<boolean[]> rows = new ArrayList<>();
        int[] base = {0}; // the first position of the current forward pass
        ForwardingBackend recording = new ForwardingBackend(model) {
            @Override
            public void coverExperts(int layer, int n, int k, int e, int[] chosen, boolean[] sent) {
                cover.cover(n, k, e, sent, random);
                int s = Arrays.binarySearch(sparse, layer);
                if (s == 0) {
                    base[0] = rows.size();
                    for (int r = 0; r < n; r++) rows.add(new boolean[sparse.length * experts]);
                }
                for (int r = 0; r < n; r++)
                    System.arraycopy(sent, r * experts, rows.get(base[0] + r), s * experts, experts);
            }
        };
        int[] out = new Generator(new Transformer(recording))
                .generate(prompt, new GenerationOptions(maxTokens, SamplingParams.GREEDY, Set.of()))
                .outputIds();
        int[] processed = Arrays.copyOf(prompt, prompt.length + Math.max(0, out.length - 1));
        System.arraycopy(out, 0, processed, prompt.length, processed.length - prompt.length);
        if (rows.size() != processed.length)
            throw new IllegalStateException("recorded " + rows.size() + " rows for " + processed.length + " tokens");
        return new Recorded(new Observation(experts, sparse.length, rows.toArray(boolean[][]::new)), processed);
    }

    /** A recorded request: what the cloud saw and the tokens behind it. */
    public record Recorded(Observation observation, int[] processed) {}

    /** Thrown to end a candidate's pass (at its first contradiction, or after the last sparse layer). */
    private static final class Stop extends RuntimeException {
        Stop() {
            super("candidate scored", null, false, false);
        }
    }

    private static final Stop STOP = new Stop();

    /** Guesses for each request, in order: the decoded token first, then the next candidates by prior. */
    public List<Guesses> attack(List<Observation> requests, Progress progress) {
        List<Guesses> out = new ArrayList<>();
        for (Observation o : requests) {
            out.add(decode(o));
            progress.step();
        }
        return out;
    }

    private Guesses decode(Observation o) {
        int experts = config.moe().numExperts();
        if (o.experts() != experts || o.sparseLayers() != sparseLayers(config).length)
            throw new IllegalArgumentException("the observation's shape (" + o.experts() + " experts, "
                    + o.sparseLayers() + " sparse layers) is not this model's");
        int[] sparse = sparseLayers(config);
        int[] fits = {0};
        boolean[][] target = {null};
        boolean[] armed = {false};
        ForwardingBackend probe = new ForwardingBackend(publicModel) {
            @Override
            public void coverExperts(int layer, int n, int k, int e, int[] chosen, boolean[] sent) {
                if (!armed[0]) return;
                int s = Arrays.binarySearch(sparse, layer);
                for (int j = 0; j < k; j++) if (!target[0][s * experts + chosen[j]]) throw STOP;
                fits[0]++;
                if (s == sparse.length - 1) throw STOP;
            }
        };
        Transformer model = new Transformer(probe);
        KvCache cache = model.newCache();
        int[][] ranked = new int[o.sent().length][];
        for (int p = 0; p < o.sent().length; p++) {
            target[0] = o.sent()[p];
            int best = prior[0], bestFits = -1;
            armed[0] = true;
            for (int t : prior) {
                fits[0] = 0;
                try {
                    model.forward(new int[] {t}, cache);
                    throw new IllegalStateException("the forward pass ended before the last sparse layer");
                } catch (Stop stop) {
                    // scored: the cache keeps its size, the next candidate overwrites this one's keys and values
                }
                if (fits[0] > bestFits) {
                    best = t;
                    bestFits = fits[0];
                    if (fits[0] == sparse.length) break;
                }
            }
            armed[0] = false;
            model.forward(new int[] {best}, cache);
            ranked[p] = rankWith(best);
        }
        return new Guesses(ranked);
    }

    /** {@code best} first, then the prior's next nine. */
    private int[] rankWith(int best) {
        int[] r = new int[Math.min(10, prior.length)];
        r[0] = best;
        for (int i = 0, j = 1; j < r.length; i++) if (prior[i] != best) r[j++] = prior[i];
        return r;
    }
}
