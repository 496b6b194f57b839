package dev.veil.cli;

import dev.veil.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * {@code --tokenizer} of the trusted side when it has no model of its own ({@code gateway}, {@code talaria run}): the
 * plain model's tokenizer, which never leaves it.
 */
final class PlainTokenizer {

    @Option(
            names = "--tokenizer",
            required = true,
            paramLabel = "DIR",
            description = "the plain model's tokenizer (tokenizer.json, tokenizer_config.json)")
    Path dir;

    Tokenizer load() throws IOException {
        return Tokenizer.load(dir);
    }
}
