package dev.veil.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.function.Function;

/**
 * Reading a JSON file with errors that name it: the one copy of what config.json, generation_config.json, training
 * configs, tokenizer configs and safetensors indexes each did by hand.
 */
public final class JsonFiles {

    private static final ObjectMapper JSON = new ObjectMapper();

    private JsonFiles() {}

    /**
     * The tree in {@code file}. A missing file is an {@link IOException} "FILE: {@code missing}" (or, with
     * {@code missing} null, one like any other unreadable file); unparseable content "FILE: not valid JSON (the
     * parser's first line)".
     */
    public static JsonNode read(Path file, String missing) throws IOException {
        try {
            return JSON.readTree(file.toFile());
        } catch (NoSuchFileException | FileNotFoundException e) {
            if (missing != null) throw new IOException(file + ": " + missing);
            throw invalid(file, e);
        } catch (IOException e) {
            throw invalid(file, e);
        }
    }

    /** {@link #read} then {@code parser}, whose {@link IllegalArgumentException} becomes "FILE: its message". */
    public static <T> T parse(Path file, String missing, Function<JsonNode, T> parser) throws IOException {
        JsonNode n = read(file, missing);
        try {
            return parser.apply(n);
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage());
        }
    }

    private static IOException invalid(Path file, IOException e) {
        return new IOException(
                file + ": not valid JSON (" + e.getMessage().lines().findFirst().orElse("") + ")");
    }
}
