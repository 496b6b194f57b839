package dev.veil.cli;

import dev.veil.train.data.Split;
import dev.veil.train.data.VeilCache;
import dev.veil.train.tokenizer.BpeModel;
import dev.veil.train.tokenizer.TokenizerTraining;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code veil train tokenizer|model}: Veil's own tokenizer and model, trained from the public-domain corpora. */
@Command(name = "train", mixinStandardHelpOptions = true, description = "Train a tokenizer or a model.")
public final class TrainCommand {

    @Command(name = "tokenizer", mixinStandardHelpOptions = true,
            description = "Train a byte-level BPE tokenizer on the SOTU train split (run `veil data fetch sotu` first); "
                    + "writes tokenizer.json and tokenizer_config.json (ChatML chat template).")
    int tokenizer(
            @Option(names = "--out", required = true, paramLabel = "DIR", description = "output directory") Path out,
            @Option(names = "--vocab-size", defaultValue = "8192", description = "total vocabulary incl. special tokens (default ${DEFAULT-VALUE})") int vocabSize,
            @Option(names = "--min-frequency", defaultValue = "2", description = "never merge a rarer pair (default ${DEFAULT-VALUE})") int minFrequency,
            @Option(names = "--context", defaultValue = "256", description = "model_max_length written to tokenizer_config.json (default ${DEFAULT-VALUE})") int context,
            @Option(names = "--cache", paramLabel = "DIR", description = "cache directory (default: $VEIL_CACHE or ~/.cache/veil)") Path cache)
            throws Exception {
        Path dir = cache != null ? cache : VeilCache.dir();
        BpeModel m = TokenizerTraining.train(Split.TRAIN.read(dir), vocabSize, minFrequency, out, context);
        System.out.printf("tokenizer: %d tokens (%d merges, %d special) -> %s%n", m.vocabSize(), m.merges().size(),
                m.specialTokens().size(), out);
        return 0;
    }
}
