package dev.veil.train.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SequencedMap;

/**
 * Expected SHA-256 digests of the files of a corpus, in {@code sha256sum} format ({@code HEX  name} per line),
 * committed with the code so that a fetched corpus is exactly the one Veil's models were trained on.
 */
public record Sha256Manifest(String name, SequencedMap<String, String> digests) {

    /** Reads the manifest resource {@code resource} beside this class's package {@code dev/veil/train/data}. */
    public static Sha256Manifest resource(String resource) throws IOException {
        String path = "/dev/veil/train/data/" + resource;
        try (InputStream in = Sha256Manifest.class.getResourceAsStream(path)) {
            if (in == null) throw new IOException("checksum manifest " + path + " is missing from the build");
            return parse(resource, new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    public static Sha256Manifest parse(String name, String text) throws IOException {
        SequencedMap<String, String> digests = new LinkedHashMap<>();
        int lineNo = 0;
        for (String line : text.lines().toList()) {
            lineNo++;
            if (line.isBlank()) continue;
            String[] parts = line.split(" {2}", 2);
            if (parts.length != 2 || !parts[0].matches("[0-9a-f]{64}"))
                throw new IOException(name + ":" + lineNo + ": expected '<sha256 hex>  <file>'");
            digests.put(parts[1], parts[0]);
        }
        return new Sha256Manifest(name, digests);
    }

    /** Checks {@code dir/<file>} for every entry; the first missing or altered file is one clear error. */
    public void verify(Path dir) throws IOException {
        for (Map.Entry<String, String> e : digests.entrySet()) verify(dir.resolve(e.getKey()), e.getKey());
    }

    /** Checks one file against the entry {@code entry}. */
    public void verify(Path file, String entry) throws IOException {
        String expected = digests.get(entry);
        if (expected == null) throw new IllegalArgumentException(name + " has no entry " + entry);
        if (!Files.isRegularFile(file))
            throw new IOException(file + ": missing (listed in checksum manifest " + name + ")");
        String actual = Sha256.of(file);
        if (!actual.equals(expected))
            throw new IOException(
                    file + ": SHA-256 " + actual + " does not match " + expected + " in checksum manifest " + name);
    }
}
