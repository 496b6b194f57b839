package dev.veil.cli;

import picocli.CommandLine.Option;

/**
 * Where a key-file passphrase comes from: the terminal prompt or an environment variable (for scripts). The options
 * are a mixin ({@code @Mixin Passphrases passphrases}) for every command that reads or writes a key file.
 */
final class Passphrases {

    @Option(
            names = "--passphrase",
            arity = "0",
            interactive = true,
            description = "the key file's passphrase (asked on the terminal)")
    char[] prompted;

    @Option(
            names = "--passphrase-env",
            paramLabel = "VAR",
            description = "the key file's passphrase from environment variable VAR")
    String envVar;

    /** The passphrase given, or null for none (an unencrypted key file). */
    char[] resolve() {
        return resolve(prompted, envVar, "--passphrase");
    }

    /**
     * A secret from option {@code option} ({@code given}: typed, or asked on the terminal) or {@code option-env} (the
     * name of an environment variable that holds it, which keeps it out of the process list), or null when neither
     * was given: key-file passphrases, the setup authority's keystore password, the gateway's API key.
     */
    static char[] resolve(char[] given, String envVar, String option) {
        if (given != null && envVar != null)
            throw new IllegalArgumentException("give " + option + " or " + option + "-env, not both");
        if (envVar == null) return given;
        String v = System.getenv(envVar);
        if (v == null || v.isBlank())
            throw new IllegalArgumentException("environment variable " + envVar + " (" + option + "-env) is not set");
        return v.toCharArray();
    }
}
