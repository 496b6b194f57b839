package dev.veil.cli;

import dev.veil.model.VeilCache;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --cache} of the commands that read or fetch the corpora ({@code data fetch}, {@code train tokenizer|model|export}). */
final class CacheOption {

    @Option(
            names = "--cache",
            paramLabel = "DIR",
            description = "cache directory (default: $VEIL_CACHE or ~/.cache/veil)")
    Path cache;

    /** The directory given, else {@link VeilCache#dir()}. */
    Path dir() {
        return cache != null ? cache : VeilCache.dir();
    }
}
