package dev.veil.aloepri;

import dev.veil.model.Weights;
import java.util.List;

/**
 * What the trusted side keeps after obfuscating a model: the vocabulary permutation τ (all the online gateway
 * needs), the public parameters, and the fingerprints that bind the key to its plain and obfuscated models.
 * The key matrices and the seed are not kept: they are only needed offline, and re-obfuscating draws new ones.
 *
 * @param architecture          the plain model's Hugging Face model_type
 * @param hiddenSize            d of the plain model
 * @param obfuscatedHiddenSize  d + 2h
 * @param kappa                 the RMSNorm constants written into the model, for audits
 */
public record AloePriKey(
        AloePriParams params,
        String architecture,
        int hiddenSize,
        int obfuscatedHiddenSize,
        VocabPermutation permutation,
        List<Integer> fixedTokens,
        String plainFingerprint,
        String obfuscatedFingerprint,
        double[] kappa,
        String created) {

    public AloePriKey {
        fixedTokens = List.copyOf(fixedTokens);
        kappa = kappa.clone();
    }

    public int vocabSize() {
        return permutation.size();
    }

    /** Refuses, with the two fingerprints, an obfuscated model this key was not made for. */
    public void verifyObfuscatedModel(Weights obfuscated, String where) {
        String actual = ModelFingerprint.of(obfuscated);
        if (!actual.equals(obfuscatedFingerprint))
            throw new IllegalArgumentException(where + " is not the model this key obfuscated: its fingerprint is "
                    + actual + ", the key was made for " + obfuscatedFingerprint);
    }

    /** Refuses a plain model that is not the one this key was made from. */
    public void verifyPlainModel(Weights plain, String where) {
        String actual = ModelFingerprint.of(plain);
        if (!actual.equals(plainFingerprint))
            throw new IllegalArgumentException(where + " is not the plain model of this key: its fingerprint is "
                    + actual + ", the key was made from " + plainFingerprint);
    }
}
