package dev.veil.cli;

import dev.veil.engine.Perplexity;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code veil eval perplexity}: the model's perplexity on a text file. */
@Command(name = "eval", description = "Evaluate a model.", subcommands = EvalCommand.PerplexityCommand.class)
final class EvalCommand {

    @Command(
            name = "perplexity",
            description = "Perplexity on a text file (windows of the context length, each from an empty cache).")
    static final class PerplexityCommand implements Callable<Integer> {

        @Mixin
        LocalModelOptions local;

        @Option(names = "--text", required = true, description = "UTF-8 text file")
        Path text;

        @Option(names = "--context", defaultValue = "0", description = "window length; 0 = the model's context")
        int context;

        @Override
        public Integer call() throws Exception {
            String content;
            try {
                content = Files.readString(text);
            } catch (NoSuchFileException e) {
                throw new IllegalArgumentException(text + ": no such file");
            }
            try (LocalModel m = local.open()) {
                int[] ids = m.tokenizer().encode(content, true, false);
                int window = context > 0 ? context : m.files().config().maxPositionEmbeddings();
                Perplexity.Result r = Perplexity.evaluate(m.transformer(), ids, window);
                System.out.printf(
                        "perplexity %.4f over %d tokens (mean NLL %.5f nats, window %d)%n",
                        r.perplexity(), r.tokens(), r.meanNll(), window);
            }
            return 0;
        }
    }
}
