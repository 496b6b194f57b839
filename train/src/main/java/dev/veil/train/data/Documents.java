package dev.veil.train.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veil.train.io.AtomicFiles;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reads and writes documents as JSON lines: {@code {"id": "...", "text": "..."}} per line. */
public final class Documents {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Documents() {}

    public static List<Document> read(Path file) throws IOException {
        List<Document> docs = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int lineNo = 0;
            while ((line = r.readLine()) != null) {
                lineNo++;
                if (line.isBlank()) continue;
                JsonNode n;
                try {
                    n = JSON.readTree(line);
                } catch (IOException e) {
                    throw new IOException(file + ":" + lineNo + ": not valid JSON");
                }
                if (!n.path("id").isTextual() || !n.path("text").isTextual())
                    throw new IOException(file + ":" + lineNo + ": expected {\"id\": string, \"text\": string}");
                docs.add(new Document(n.get("id").asText(), n.get("text").asText()));
            }
        }
        return docs;
    }

    /** Writes atomically: a temporary file beside {@code file}, then a rename. */
    public static void write(Path file, List<Document> docs) throws IOException {
        AtomicFiles.write(file, tmp -> {
            try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                for (Document d : docs) {
                    ObjectNode n = JSON.createObjectNode().put("id", d.id()).put("text", d.text());
                    w.write(JSON.writeValueAsString(n));
                    w.write('\n');
                }
            }
        });
    }
}
