package dev.veil.aloepri;

import java.util.Arrays;
import java.util.Locale;

/** How the W_down noise ({@code alpha-down}) is shaped; both have the same expected Frobenius norm. */
public enum FfnNoiseProfile {
    /** i.i.d. N(0, (α·σ)²) entries, σ the standard deviation of W_down. */
    GAUSSIAN,
    /**
     * N·K with N i.i.d. Gaussian and K = M^{-1/2} (regularised), M the second moment of the layer's FFN activations
     * (the input of W_down) on public calibration text: the noise lies where the activations hardly reach, so the
     * output error E·a is small while every unit's down column moves ({@code transform.FfnDefense}).
     */
    ACTIVATION;

    /** The option's spelling: {@code gaussian}, {@code activation}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static FfnNoiseProfile parse(String s) {
        for (FfnNoiseProfile p : values()) if (p.label().equals(s.toLowerCase(Locale.ROOT))) return p;
        throw new IllegalArgumentException("unknown FFN noise profile '" + s + "': one of "
                + Arrays.stream(values()).map(FfnNoiseProfile::label).toList());
    }
}
