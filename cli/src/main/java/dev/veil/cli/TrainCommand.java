package dev.veil.cli;

import dev.veil.train.ModelReport;
import dev.veil.train.TrainingRun;
import dev.veil.train.data.Split;
import dev.veil.train.tokenizer.TokenizerTraining;
import dev.veil.train.tokenizer.TrainedBpe;
import java.nio.file.Path;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code veil train tokenizer|model}: Veil's own tokenizer and model, trained from the public-domain corpora. */
@Command(name = "train", description = "Train a tokenizer or a model.")
public final class TrainCommand {

    @Command(
            name = "tokenizer",
            description =
                    "Train a byte-level BPE tokenizer on the SOTU train split (run `veil data fetch sotu` first); "
                            + "writes tokenizer.json and tokenizer_config.json (ChatML chat template).")
    int tokenizer(
            @Option(names = "--out", required = true, paramLabel = "DIR", description = "output directory") Path out,
            @Option(
                            names = "--vocab-size",
                            defaultValue = "8192",
                            description = "total vocabulary incl. special tokens (default ${DEFAULT-VALUE})")
                    int vocabSize,
            @Option(
                            names = "--min-frequency",
                            defaultValue = "2",
                            description = "never merge a rarer pair (default ${DEFAULT-VALUE})")
                    int minFrequency,
            @Option(
                            names = "--context",
                            defaultValue = "256",
                            description =
                                    "model_max_length written to tokenizer_config.json (default ${DEFAULT-VALUE})")
                    int context,
            @Mixin CacheOption cache)
            throws Exception {
        Path dir = cache.dir();
        TrainedBpe m = TokenizerTraining.train(Split.TRAIN.read(dir), vocabSize, minFrequency, out, context);
        System.out.printf(
                "tokenizer: %d tokens (%d merges, %d special) -> %s%n",
                m.vocabSize(), m.merges().size(), m.specialTokens().size(), out);
        return 0;
    }

    @Command(
            name = "model",
            description = {
                "Train a model from a JSON config (architecture, data, steps, lr, batch, seq_len, seed, out) and write a "
                        + "standard Hugging Face model directory with MODEL_CARD.md. Run `veil data fetch sotu fortunes` first.",
                "Checkpoints are written atomically to OUT/checkpoint.safetensors (and at the end of the step under way on "
                        + "Ctrl-C or SIGTERM); --resume continues one exactly, also in a copy of OUT on another machine."
            })
    int model(
            @Option(names = "--config", required = true, paramLabel = "FILE", description = "training config (JSON)")
                    Path config,
            @Option(
                            names = "--out",
                            paramLabel = "DIR",
                            description = "output directory (default: the config's \"out\")")
                    Path out,
            @Option(names = "--resume", description = "continue from the checkpoint in the output directory")
                    boolean resume,
            @Option(
                            names = "--max-steps",
                            defaultValue = "0",
                            paramLabel = "N",
                            description = "stop after N steps (resume later)")
                    int maxSteps,
            @Option(
                            names = "--no-progress",
                            description =
                                    "instead of a progress bar, print step, loss, tokens/s and ETA at each checkpoint and every 30 s")
                    boolean noProgress,
            @Mixin CacheOption cache)
            throws Exception {
        StringBuilder cmd = new StringBuilder("./veil train model --config ").append(config);
        if (out != null) cmd.append(" --out ").append(out);
        TrainingRun.Result r = TrainingRun.run(new TrainingRun.Options(
                config, out, resume, maxSteps, cache.dir(), cmd.toString(), System.err, !noProgress));
        if (r.report() != null) printResult(r);
        return 0;
    }

    @Command(
            name = "export",
            description = {
                "Write the checkpoint of a training run (finished, stopped, or still running: checkpoints are replaced "
                        + "atomically) as a model directory with metrics and MODEL_CARD.md, as the run itself does at its "
                        + "last step. The run directory is only read. Run `veil data fetch sotu fortunes` first."
            })
    int export(
            @Option(names = "--config", required = true, paramLabel = "FILE", description = "the run's training config")
                    Path config,
            @Option(
                            names = "--run",
                            required = true,
                            paramLabel = "DIR",
                            description = "the run's output directory (holds checkpoint.safetensors)")
                    Path run,
            @Option(names = "--out", required = true, paramLabel = "DIR", description = "new model directory") Path out,
            @Option(
                            names = "--trained-with",
                            paramLabel = "TEXT",
                            description = "the command that trained the run, for the model card")
                    String trainedWith,
            @Mixin CacheOption cache)
            throws Exception {
        String cmd = "./veil train export --config " + config + " --run " + run + " --out " + out;
        TrainingRun.Result r = TrainingRun.export(
                new TrainingRun.ExportOptions(config, run, out, cache.dir(), cmd, trainedWith, System.err));
        printResult(r);
        return 0;
    }

    private static void printResult(TrainingRun.Result r) {
        ModelReport.Ppl h = r.report().heldout(), ood = r.report().outOfDomain();
        System.out.printf(
                Locale.ROOT,
                "%s: held-out perplexity %.2f (unigram %.2f, bigram %.2f, model/bigram %.3f), out-of-domain %.2f; %,.0f tokens/s%n",
                r.out(),
                h.model(),
                h.unigram(),
                h.bigram(),
                h.modelOverBigram(),
                ood.model(),
                r.report().throughput().tokensPerSecond());
    }
}
