package dev.veil.cli;

/** Where a key-file passphrase comes from: the terminal prompt or an environment variable (for scripts). */
final class Passphrases {

    private Passphrases() {}

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
