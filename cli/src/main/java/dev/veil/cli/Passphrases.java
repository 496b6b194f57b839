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
        return resolve(prompted, envVar);
    }

    static char[] resolve(char[] prompted, String envVar) {
        if (prompted != null && envVar != null)
            throw new IllegalArgumentException("give --passphrase or --passphrase-env, not both");
        if (envVar == null) return prompted;
        String v = System.getenv(envVar);
        if (v == null || v.isEmpty())
            throw new IllegalArgumentException("environment variable " + envVar + " (--passphrase-env) is not set");
        return v.toCharArray();
    }
}
