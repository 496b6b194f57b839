package dev.veil.train.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The corpora splits Veil trains and measures on, each a JSON-lines file of {@link Document}s under the cache. */
public enum Split {
    /** State of the Union addresses before 2000. */
    TRAIN("sotu", "train.jsonl", "veil data fetch sotu"),
    /** State of the Union addresses 2000–2021. */
    HELDOUT("sotu", "heldout.jsonl", "veil data fetch sotu"),
    /** Debian's fortunes: out-of-domain text. */
    OUT_OF_DOMAIN("fortunes", "fortunes.jsonl", "veil data fetch fortunes");

    private final String corpus;
    private final String file;
    private final String fetchCommand;

    Split(String corpus, String file, String fetchCommand) {
        this.corpus = corpus;
        this.file = file;
        this.fetchCommand = fetchCommand;
    }

    public Path path(Path cache) {
        return cache.resolve("data").resolve(corpus).resolve(file);
    }

    /** The split's documents; a clear error naming the command that fetches it when it is missing. */
    public List<Document> read(Path cache) throws IOException {
        Path p = path(cache);
        if (!Files.isRegularFile(p))
            throw new IOException(
                    p + ": corpus split " + name().toLowerCase() + " not found; run `" + fetchCommand + "` first");
        return Documents.read(p);
    }
}
