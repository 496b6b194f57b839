package dev.veil.bench;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The fixture cache that {@code scripts/fetch-fixtures.sh} fills: node-llama-cpp, llama.cpp's source, real tokenizers.
 * Tests pass it as the system property {@code veil.cache}; the CLI honours {@code VEIL_CACHE} like the script does.
 */
public final class VeilCache {
    private VeilCache() {}

    public static Path dir() {
        String prop = System.getProperty("veil.cache");
        if (prop != null && !prop.isBlank()) return Path.of(prop);
        String env = System.getenv("VEIL_CACHE");
        if (env != null && !env.isBlank()) return Path.of(env);
        return Path.of(System.getProperty("user.home"), ".cache", "veil");
    }

    /** {@code dir/relative}, or an {@link IllegalStateException} naming the missing fixture and how to fetch it. */
    public static Path require(Path dir, String relative, String what) {
        Path p = dir.resolve(relative);
        if (!Files.exists(p))
            throw new IllegalStateException("missing fixture " + p + " (" + what + "): run scripts/fetch-fixtures.sh");
        return p;
    }
}
