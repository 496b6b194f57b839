package dev.veil.attack.capture;

import java.util.Locale;

/** The design whose untrusted side a capture records. */
public enum Mode {
    /** The Talaria cloud: masked rows of every weight product, plus the public weights. */
    TALARIA,
    /** The AloePri server: the obfuscated checkpoint, obfuscated token ids in and out, optionally internal states. */
    ALOEPRI;

    public static Mode parse(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "talaria" -> TALARIA;
            case "aloepri" -> ALOEPRI;
            default -> throw new IllegalArgumentException("unknown mode '" + s + "' (talaria, aloepri)");
        };
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
