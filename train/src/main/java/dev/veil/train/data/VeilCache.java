package dev.veil.train.data;

import java.nio.file.Path;

/** Where Veil keeps fetched corpora and fixtures: {@code $VEIL_CACHE}, else {@code -Dveil.cache}, else ~/.cache/veil. */
public final class VeilCache {
    private VeilCache() {}

    public static Path dir() {
        String env = System.getenv("VEIL_CACHE");
        if (env != null && !env.isBlank()) return Path.of(env);
        String prop = System.getProperty("veil.cache");
        if (prop != null && !prop.isBlank()) return Path.of(prop);
        return Path.of(System.getProperty("user.home"), ".cache", "veil");
    }
}
