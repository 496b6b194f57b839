package dev.veil.attack.aloepri;

import dev.veil.aloepri.AloePriParams;
import dev.veil.attack.Progress;
import dev.veil.attack.RankedAttack;
import dev.veil.attack.TokenStream;
import dev.veil.attack.capture.Obfuscation;
import dev.veil.attack.math.LeastSquares;
import dev.veil.attack.math.Nearest;
import dev.veil.attack.math.RowMajor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * IMA, a learned inversion model (InvBERT-style): the attacker knows the mechanism and its public parameters, so it
 * obfuscates the public model itself under keys of its own, reads off the hidden states its own server computes for
 * the tokens of public text (the first hidden state: the embedding row), and fits an inverter from obfuscated state
 * to plain embedding (ridge regression; nearest-embedding decoding). It then inverts the victim server's states. With
 * its own keys the inverter learns a map that the victim's key does not share; with the victim's key it is exact.
 */
public final class InversionModelAttack extends RankedAttack implements AloePriAttack {

    private final int[] publicTokens;
    private final List<String> attackerSeeds;

    /** @param attackerSeeds the attacker's own obfuscation keys (seeds), one training obfuscation each */
    public InversionModelAttack(int[] publicTokens, List<String> attackerSeeds, int k) {
        if (publicTokens.length == 0 || attackerSeeds.isEmpty())
            throw new IllegalArgumentException("IMA needs public text and at least one attacker key");
        super("IMA: inverter trained under the attacker's own keys", TokenStream.ALL, k);
        this.publicTokens = publicTokens.clone();
        this.attackerSeeds = List.copyOf(attackerSeeds);
    }

    @Override
    public Outcome attack(AloePriTarget t, Progress progress) {
        var plainCfg = t.plain().config();
        int v = t.vocab(), d = plainCfg.hiddenSize(), dObf = t.obfuscated().hidden();
        AloePriParams params = params(t.capture().setting());
        Set<Integer> fixed = new TreeSet<>(plainCfg.eosTokenIds());
        if (plainCfg.bosTokenId() >= 0) fixed.add(plainCfg.bosTokenId());
        float[] plainRows = RowMajor.rmsNormalised(t.plain().embed(), d);
        List<float[]> inputs = new ArrayList<>();
        for (String seed : attackerSeeds) {
            Obfuscation own = params == null
                    ? Obfuscation.none(plainCfg, t.plain().weights())
                    : Obfuscation.of(plainCfg, t.plain().weights(), params, fixed, seed, 0, null);
            float[] ownEmbed = RowMajor.matrix(
                    own.weights(), "model.embed_tokens.weight", v, own.config().hiddenSize());
            if (own.config().hiddenSize() != dObf)
                throw new IllegalArgumentException(
                        "the attacker's obfuscation has width " + own.config().hiddenSize() + ", the server's " + dObf);
            inputs.add(RowMajor.gatherRows(ownEmbed, dObf, own.tau().obfuscate(publicTokens)));
            progress.step();
        }
        int n = publicTokens.length * attackerSeeds.size();
        float[] x = new float[n * dObf], y = new float[n * d];
        float[] targets = RowMajor.gatherRows(plainRows, d, publicTokens);
        for (int s = 0; s < inputs.size(); s++) {
            System.arraycopy(inputs.get(s), 0, x, s * publicTokens.length * dObf, publicTokens.length * dObf);
            System.arraycopy(targets, 0, y, s * publicTokens.length * d, targets.length);
        }
        LeastSquares inverter = LeastSquares.fit(x, y, n, dObf, d, 1e-4, true);
        // the victim's first hidden state of obfuscated id o is its embedding row o
        float[] predicted = inverter.predict(t.obfuscated().embed(), v);
        VocabMapping mapping = new VocabMapping(new Nearest(plainRows, d, Nearest.Metric.COSINE).topK(predicted, k));
        return new Outcome(mapping.guesses(t.requests()), mapping);
    }

    /**
     * The deployment's public obfuscation parameters, or null for a plain deployment. {@code ffn_noise} and
     * {@code alpha_router} are not read: they shape only W_down and the routers, whose noise comes from streams of
     * their own, so the attacker's embedding rows (all this attack uses) are the same without them, and the activation
     * profile would need calibration text for nothing.
     */
    static AloePriParams params(Map<String, String> s) {
        if (!"aloepri".equals(s.get("obfuscation"))) return null;
        return new AloePriParams(
                        Double.parseDouble(s.get("lambda")),
                        Integer.parseInt(s.get("h")),
                        Double.parseDouble(s.get("alpha_e")),
                        Double.parseDouble(s.get("alpha_h")),
                        Integer.parseInt(s.get("beta")),
                        Double.parseDouble(s.get("gamma")))
                .withFfn(
                        Double.parseDouble(s.getOrDefault("alpha_down", "0")),
                        Double.parseDouble(s.getOrDefault("alpha_gate_up", "0")),
                        Integer.parseInt(s.getOrDefault("split", "1")))
                .withDepthScaled(Boolean.parseBoolean(s.getOrDefault("ffn_depth_scaled", "false")));
    }
}
