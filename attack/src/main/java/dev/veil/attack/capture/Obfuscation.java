package dev.veil.attack.capture;

import dev.veil.aloepri.AloePriParams;
import dev.veil.aloepri.FfnActivations;
import dev.veil.aloepri.FfnNoiseProfile;
import dev.veil.aloepri.ModelObfuscator;
import dev.veil.aloepri.VocabPermutation;
import dev.veil.aloepri.experiment.InMemoryModel;
import dev.veil.aloepri.key.KeyStream;
import dev.veil.model.DType;
import dev.veil.model.ModelConfig;
import dev.veil.model.Weights;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A model as an AloePri server holds it: the obfuscated config and weights, and (secret, for scoring and for the
 * client's mapping) τ. {@link #none} is the unprotected setting: the plain model served as is, τ the identity.
 *
 * @param params null for the plain model
 */
public record Obfuscation(ModelConfig config, Weights weights, VocabPermutation tau, AloePriParams params) {

    /**
     * Obfuscates {@code plain} in memory with Veil's compiler, as {@code veil obfuscate} does (F32, κ calibrated on the
     * plain model's activations over {@code calibrationTokens} random ids; 0 keeps the Gaussian estimate).
     * {@code activations} are the plain model's FFN activations on public text, which the activation-aware W_down noise
     * needs (null for the other profiles).
     */
    public static Obfuscation of(
            ModelConfig config,
            Weights plain,
            AloePriParams params,
            Collection<Integer> fixed,
            String seed,
            int calibrationTokens,
            FfnActivations activations) {
        ModelObfuscator obfuscator = ModelObfuscator.calibrated(
                config, plain, params, fixed, KeyStream.fromSeed(seed), DType.F32, calibrationTokens, activations);
        Weights out = InMemoryModel.obfuscate(obfuscator, plain);
        return new Obfuscation(obfuscator.obfuscatedConfig(), out, obfuscator.permutation(), params);
    }

    /** No obfuscation: the plain model, ids in the clear. */
    public static Obfuscation none(ModelConfig config, Weights plain) {
        return new Obfuscation(config, plain, VocabPermutation.identity(config.vocabSize()), null);
    }

    /** The public description of the obfuscation (its parameters, never its keys). */
    public Map<String, String> setting() {
        Map<String, String> s = new LinkedHashMap<>();
        if (params == null) {
            s.put("obfuscation", "none");
            return s;
        }
        s.put("obfuscation", "aloepri");
        s.put("alpha_e", Double.toString(params.alphaE()));
        s.put("alpha_h", Double.toString(params.alphaH()));
        s.put("lambda", Double.toString(params.lambda()));
        s.put("h", Integer.toString(params.expansion()));
        s.put("beta", Integer.toString(params.beta()));
        s.put("gamma", Double.toString(params.gamma()));
        s.put("alpha_down", Double.toString(params.alphaDown()));
        s.put("alpha_gate_up", Double.toString(params.alphaGateUp()));
        s.put("split", Integer.toString(params.split()));
        if (params.depthScaled())
            s.put("ffn_depth_scaled", "true"); // absent when off: earlier reports keep their columns
        if (params.ffnNoise() != FfnNoiseProfile.GAUSSIAN)
            s.put("ffn_noise", params.ffnNoise().label());
        if (params.alphaRouter() > 0) s.put("alpha_router", Double.toString(params.alphaRouter()));
        return s;
    }
}
