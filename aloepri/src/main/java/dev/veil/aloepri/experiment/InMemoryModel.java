package dev.veil.aloepri.experiment;

import dev.veil.aloepri.ModelObfuscator;
import dev.veil.model.InMemoryWeights;
import dev.veil.model.Weights;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * A model obfuscated in memory, for experiments (and the attacks' captures) that obfuscate a small model many times and
 * run it at once, without writing it to disk.
 */
public final class InMemoryModel {

    private InMemoryModel() {}

    /** Obfuscates {@code plain} with {@code obfuscator} into new in-memory weights. */
    public static Weights obfuscate(ModelObfuscator obfuscator, Weights plain) {
        InMemoryWeights out = new InMemoryWeights();
        try {
            obfuscator.write(plain, out);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // an in-memory sink does not fail
        }
        return out;
    }
}
