package dev.veil.model;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The one rule for where Veil keeps fetched fixtures, corpora and generated models: {@code $VEIL_CACHE}, else
 * {@code $HOME/.cache/veil}. The shell scripts (scripts/fetch-fixtures.sh, scripts/*.sh) use the same two
 * variables, so a script and a JVM started from the same shell always agree; the JVM's {@code user.home} (from the
 * password database, not {@code $HOME}) is only the last resort when {@code HOME} is unset.
 */
public final class VeilCache {
    private VeilCache() {}

    public static Path dir() {
        return dir(System.getenv("VEIL_CACHE"), System.getenv("HOME"), System.getProperty("user.home"));
    }

    static Path dir(String veilCache, String home, String userHome) {
        if (veilCache != null && !veilCache.isBlank()) return Path.of(veilCache);
        String base = home != null && !home.isBlank() ? home : userHome;
        return Path.of(base, ".cache", "veil");
    }

    /** {@code dir/relative}, or an {@link IllegalStateException} naming the missing fixture and how to fetch it. */
    public static Path require(Path dir, String relative, String what) {
        Path p = dir.resolve(relative);
        if (!Files.exists(p))
            throw new IllegalStateException(
                    "missing fixture " + p + " (" + what + "): run scripts/fetch-fixtures.sh (or ./veil test)");
        return p;
    }

    /** {@code relative} under {@link #dir()}, or the same error. */
    public static Path require(String relative, String what) {
        return require(dir(), relative, what);
    }
}
