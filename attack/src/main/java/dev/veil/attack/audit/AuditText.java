package dev.veil.attack.audit;

import dev.veil.tokenizer.Tokenizer;
import dev.veil.train.data.Document;
import dev.veil.train.data.Documents;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** The audit's text: users' prompts cut from held-out documents, and the attacker's public text. */
public final class AuditText {

    private AuditText() {}

    /** A {@code .jsonl} file of documents ({@code {"id", "text"}} per line, as {@code veil data fetch} writes) or one plain-text document. */
    public static List<String> read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new IOException(file + ": no such text file");
        if (file.toString().endsWith(".jsonl"))
            return Documents.read(file).stream().map(Document::text).toList();
        return List.of(Files.readString(file));
    }

    /**
     * {@code count} prompts of {@code length} tokens: one window from each document in turn, from its start, then
     * further windows (so prompts come from as many documents as possible).
     */
    public static List<int[]> prompts(Tokenizer tok, List<String> docs, int count, int length) {
        List<int[]> encoded = docs.stream()
                .map(d -> tok.encode(d, false, false))
                .filter(t -> t.length >= length)
                .toList();
        if (encoded.isEmpty()) throw new IllegalArgumentException("no document has " + length + " tokens for a prompt");
        List<int[]> out = new ArrayList<>();
        for (int window = 0; out.size() < count; window++) {
            boolean any = false;
            for (int[] t : encoded) {
                int from = window * length;
                if (from + length > t.length || out.size() == count) continue;
                out.add(Arrays.copyOfRange(t, from, from + length));
                any = true;
            }
            if (!any) break;
        }
        return out;
    }

    /** The first {@code max} tokens of the documents, one after another. */
    public static int[] tokens(Tokenizer tok, List<String> docs, int max) {
        int[] out = new int[max];
        int n = 0;
        for (String d : docs) {
            if (n == max) break;
            int[] t = tok.encode(d, false, false);
            int take = Math.min(t.length, max - n);
            System.arraycopy(t, 0, out, n, take);
            n += take;
        }
        return Arrays.copyOf(out, n);
    }
}
