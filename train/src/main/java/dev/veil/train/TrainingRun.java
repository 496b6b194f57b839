package dev.veil.train;

import dev.veil.model.DType;
import dev.veil.model.GenerationConfig;
import dev.veil.model.HfModelWriter;
import dev.veil.model.ModelConfig;
import dev.veil.model.Tensor;
import dev.veil.model.Weights;
import dev.veil.tokenizer.Tokenizer;
import dev.veil.train.data.Document;
import dev.veil.train.io.Sha256;
import dev.veil.train.model.Transformer;
import dev.veil.train.tokenizer.TokenizerTraining;
import dev.veil.train.tokenizer.TrainedBpe;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * {@code veil train model}: from a config file to a finished Hugging Face model directory — tokenizer, training
 * with checkpoints, export, evaluation, model card. Every check that can refuse the run (config, output
 * directory, checkpoint compatibility, corpora) happens before anything is written.
 *
 * <p>A run survives interruption: checkpoints are atomic (temporary file, then rename), Ctrl-C or SIGTERM during
 * training finishes the step under way and writes one, and {@code --resume} continues bit-identically, on this machine
 * or on another one the output directory was copied to (the checkpoint holds weights, AdamW's moments and step; the
 * step is also the data position, as each step's batch depends on the seed and the step alone).
 */
public final class TrainingRun {
    public static final String CHECKPOINT = "checkpoint.safetensors";
    public static final String CONFIG_COPY = "train-config.json";
    public static final String LOG = "training_log.jsonl";
    public static final String METRICS = "metrics.json";

    /**
     * @param out         overrides the config's {@code out} (may be null)
     * @param resume      continue from {@code out/checkpoint.safetensors}
     * @param maxSteps    stop after this many steps in this invocation, leaving a checkpoint (0: run to the end)
     * @param command     the command line to print in the model card
     * @param progressBar draw a progress bar on {@code console}'s terminal
     */
    public record Options(
            Path config,
            Path out,
            boolean resume,
            int maxSteps,
            Path cache,
            String command,
            PrintStream console,
            boolean progressBar) {}

    /** {@code report} is null when the run stopped early ({@code maxSteps}). */
    public record Result(Path out, int stepsDone, ModelReport report) {}

    private TrainingRun() {}

    public static Result run(Options o) throws IOException {
        return run(o, null);
    }

    /** @param stopRequested polled after each step (tests); null stops on Ctrl-C or SIGTERM */
    static Result run(Options o, BooleanSupplier stopRequested) throws IOException {
        TrainConfig cfg = TrainConfig.read(o.config());
        Path out = o.out() != null ? o.out() : cfg.out();
        if (out == null)
            throw new IOException(o.config() + ": no output directory: set \"out\" in the config or pass --out");
        Path checkpoint = out.resolve(CHECKPOINT);

        Checkpoint.State resumed = null;
        if (o.resume()) {
            if (!Files.isRegularFile(checkpoint))
                throw new IOException("cannot resume: " + checkpoint + " does not exist");
            Path tokenizerJson = out.resolve("tokenizer.json");
            if (!Files.isRegularFile(tokenizerJson))
                throw new IOException("cannot resume: " + tokenizerJson + " is missing");
            resumed = Checkpoint.readState(checkpoint);
            Checkpoint.requireCompatible(checkpoint, resumed, cfg.fingerprint(), Sha256.of(tokenizerJson));
        } else if (Files.exists(out) && !isEmptyDirectory(out)) {
            throw new IOException(
                    out + " is not empty: choose a new output directory, or pass --resume to continue the "
                            + "checkpoint in it (nothing was written)");
        }
        Corpora data = Corpora.read(cfg, o.cache());

        if (resumed == null) {
            Files.createDirectories(out);
            Files.copy(o.config(), out.resolve(CONFIG_COPY));
            prepareTokenizer(cfg, data.trainDocs(), out, o.console());
        }
        Setup setup = Setup.of(cfg, data, out);
        CorpusTokens train = setup.tokens().train(),
                heldout = setup.tokens().heldout(),
                ood = setup.tokens().ood();
        Transformer model = setup.model();
        Trainer trainer = setup.trainer();
        TrainingLog log = new TrainingLog();
        if (resumed != null) {
            Checkpoint.restore(checkpoint, model, trainer.optimizer(), resumed);
            trainer.resumeAt(resumed.step());
            log = new TrainingLog(resumed.log());
        }
        String tokenizerSha = Sha256.of(out.resolve("tokenizer.json"));
        o.console()
                .printf(
                        Locale.ROOT,
                        "model: %s, %,d parameters; tokens: train %,d, held-out %,d, out-of-domain %,d%n",
                        setup.modelConfig().architecture().hfClass,
                        model.parameterCount(),
                        train.size(),
                        heldout.size(),
                        ood.size());

        train(
                cfg,
                o,
                trainer,
                log,
                heldout.head(cfg.training().evalTokens()),
                checkpoint,
                tokenizerSha,
                out,
                stopRequested);
        if (!trainer.done()) {
            o.console()
                    .printf(
                            "stopped after step %d of %d; continue with --resume%n",
                            trainer.nextStep(), cfg.training().steps());
            return new Result(out, trainer.nextStep(), null);
        }

        ModelReport report = setup.finish(log, cfg.training().steps(), o.command());
        return new Result(out, trainer.nextStep(), report);
    }

    /**
     * {@code veil train export}: the weights of the checkpoint in {@code run} (a run finished, stopped or still
     * training: the checkpoint is replaced atomically, so reading it while the run goes on is safe) as a finished model
     * directory {@code out} — weights in the config's export dtype, tokenizer, metrics and model card — exactly what the
     * run itself writes at its last step. {@code run} is only read.
     *
     * @param trainedWith the command that trained the run, for the card (null: "veil train model --config CONFIG")
     */
    public record ExportOptions(
            Path config, Path run, Path out, Path cache, String command, String trainedWith, PrintStream console) {}

    public static Result export(ExportOptions o) throws IOException {
        TrainConfig cfg = TrainConfig.read(o.config());
        Path checkpoint = o.run().resolve(CHECKPOINT);
        if (!Files.isRegularFile(checkpoint)) throw new IOException("cannot export: " + checkpoint + " does not exist");
        Path tokenizerJson = o.run().resolve("tokenizer.json");
        if (!Files.isRegularFile(tokenizerJson))
            throw new IOException("cannot export: " + tokenizerJson + " is missing");
        if (o.out().toAbsolutePath().normalize().equals(o.run().toAbsolutePath().normalize()))
            throw new IOException("cannot export into the run directory itself: choose another --out");
        if (Files.exists(o.out()) && !isEmptyDirectory(o.out()))
            throw new IOException(o.out() + " is not empty: choose a new output directory (nothing was written)");
        Checkpoint.State state = Checkpoint.readState(checkpoint);
        Checkpoint.requireCompatible(checkpoint, state, cfg.fingerprint(), Sha256.of(tokenizerJson));
        Corpora data = Corpora.read(cfg, o.cache());

        Path out = o.out();
        Files.createDirectories(out);
        for (String f : List.of("tokenizer.json", "tokenizer_config.json"))
            Files.copy(o.run().resolve(f), out.resolve(f));
        Files.copy(o.config(), out.resolve(CONFIG_COPY));
        Setup setup = Setup.of(cfg, data, out);
        Checkpoint.restore(checkpoint, setup.model(), setup.trainer().optimizer(), state);
        TrainingLog log = new TrainingLog(state.log());
        log.write(out.resolve(LOG));
        o.console()
                .printf(
                        "exporting step %d of %d from %s (%s, %,d parameters)%n",
                        state.step(),
                        cfg.training().steps(),
                        checkpoint,
                        setup.modelConfig().architecture().hfClass,
                        setup.model().parameterCount());
        String trained = o.trainedWith() != null ? o.trainedWith() : "./veil train model --config " + o.config();
        ModelReport report =
                setup.finish(log, state.step(), trained + "`, exported from its checkpoint with `" + o.command());
        return new Result(out, state.step(), report);
    }

    /**
     * What a run and {@link #export} build alike in {@code out} (its tokenizer already there): the tokenized splits,
     * the model at its initial weights and its trainer.
     */
    private record Setup(
            Path out,
            TrainConfig cfg,
            Corpora.Tokens tokens,
            DType exportType,
            ModelConfig modelConfig,
            Transformer model,
            Trainer trainer) {

        static Setup of(TrainConfig cfg, Corpora data, Path out) throws IOException {
            Tokenizer tokenizer = Tokenizer.load(out);
            Corpora.Tokens tokens = data.tokenize(tokenizer, out);
            DType exportType = TrainingRun.exportType(cfg); // not the record's accessor
            ModelConfig modelConfig = cfg.model()
                    .toModelConfig(
                            tokenizer.vocabSize(), tokens.eot(), tokens.eos(), HfModelWriter.torchDtype(exportType));
            Transformer model = Transformer.initialize(modelConfig, cfg.seed());
            Trainer trainer = new Trainer(model, cfg.training(), cfg.seed(), tokens.train());
            return new Setup(out, cfg, tokens, exportType, modelConfig, model, trainer);
        }

        /** The end of a run or an export: weights, metrics.json, model card. */
        ModelReport finish(TrainingLog log, int steps, String command) throws IOException {
            exportWeights(out, model, modelConfig, exportType, tokens.eot(), tokens.eos());
            ModelReport report =
                    ModelReport.compute(out, tokens.train(), tokens.heldout(), tokens.ood(), cfg, log, steps);
            report.writeJson(out.resolve(METRICS));
            ModelCard.write(
                    out,
                    out.toAbsolutePath().normalize().getFileName().toString(),
                    command,
                    Files.readString(out.resolve(CONFIG_COPY)),
                    modelConfig,
                    cfg,
                    report,
                    log);
            return report;
        }
    }

    private static DType exportType(TrainConfig cfg) {
        return cfg.exportDtype().equals("float32") ? DType.F32 : DType.BF16;
    }

    /** The three splits' documents (read before anything is written: a missing corpus refuses the run). */
    private record Corpora(List<Document> trainDocs, List<Document> heldoutDocs, List<Document> oodDocs) {
        record Tokens(CorpusTokens train, CorpusTokens heldout, CorpusTokens ood, int eot, List<Integer> eos) {}

        static Corpora read(TrainConfig cfg, Path cache) throws IOException {
            return new Corpora(
                    cfg.data().train().read(cache),
                    cfg.data().heldout().read(cache),
                    cfg.data().outOfDomainSample(cfg.data().outOfDomain().read(cache)));
        }

        Tokens tokenize(Tokenizer tokenizer, Path dir) throws IOException {
            int eot = tokenizer
                    .tokenId(TrainedBpe.ENDOFTEXT)
                    .orElseThrow(() -> new IOException(dir.resolve("tokenizer.json") + ": no " + TrainedBpe.ENDOFTEXT
                            + " token (the document separator)"));
            List<Integer> eos = new ArrayList<>(List.of(eot));
            tokenizer.tokenId(TrainedBpe.IM_END).ifPresent(eos::add);
            Function<String, int[]> encode = text -> tokenizer.encode(text, false, false); // corpus text is plain text
            return new Tokens(
                    CorpusTokens.of(trainDocs, encode, eot),
                    CorpusTokens.of(heldoutDocs, encode, eot),
                    CorpusTokens.of(oodDocs, encode, eot),
                    eot,
                    List.copyOf(eos));
        }
    }

    private static void prepareTokenizer(TrainConfig cfg, List<Document> trainDocs, Path out, PrintStream console)
            throws IOException {
        TrainConfig.TokenizerSettings t = cfg.tokenizer();
        if (t.path() != null) {
            for (String f : List.of("tokenizer.json", "tokenizer_config.json")) {
                Path src = Files.isDirectory(t.path())
                        ? t.path().resolve(f)
                        : t.path().resolveSibling(f);
                if (!Files.isRegularFile(src)) throw new IOException("tokenizer.path: " + src + " does not exist");
                Files.copy(src, out.resolve(f), StandardCopyOption.REPLACE_EXISTING);
            }
            return;
        }
        TrainedBpe bpe = TokenizerTraining.train(
                trainDocs, t.vocabSize(), t.minFrequency(), out, cfg.model().maxPositionEmbeddings());
        console.printf(
                "tokenizer: %d tokens (%d merges) trained on %d documents%n",
                bpe.vocabSize(), bpe.merges().size(), trainDocs.size());
    }

    private static void train(
            TrainConfig cfg,
            Options o,
            Trainer trainer,
            TrainingLog log,
            CorpusTokens evalSet,
            Path checkpoint,
            String tokenizerSha,
            Path out,
            BooleanSupplier stopRequested)
            throws IOException {
        TrainConfig.TrainingSettings s = cfg.training();
        int stopAt = o.maxSteps() > 0 ? Math.min(s.steps(), trainer.nextStep() + o.maxSteps()) : s.steps();
        ProgressBar bar = o.progressBar()
                ? new ProgressBarBuilder()
                        .setTaskName("train")
                        .setInitialMax(s.steps())
                        .setStyle(ProgressBarStyle.ASCII)
                        .setUpdateIntervalMillis(1000)
                        .startsFrom(trainer.nextStep(), Duration.ZERO)
                        .setConsumer(new me.tongfei.progressbar.ConsoleProgressBarConsumer(o.console()))
                        .build()
                : null;
        Interruption signal = stopRequested == null ? new Interruption() : null;
        BooleanSupplier stop = stopRequested != null ? stopRequested : signal::requested;
        int interruptedAt = -1;
        try {
            double recentTokens = 0, recentSeconds = 0;
            long lastLine = System.nanoTime();
            while (trainer.nextStep() < stopAt) {
                long t0 = System.nanoTime();
                Trainer.StepResult r = trainer.step();
                long nanos = System.nanoTime() - t0;
                log.addStep(r, nanos);
                int done = r.step() + 1;
                recentTokens = 0.9 * recentTokens + r.tokens();
                recentSeconds = 0.9 * recentSeconds + nanos / 1e9;
                double tokensPerSecond = recentTokens / recentSeconds;
                if (bar != null) {
                    bar.stepTo(done);
                    bar.setExtraMessage(
                            String.format(Locale.ROOT, " loss %.3f  %,.0f tok/s", r.loss(), tokensPerSecond));
                }
                if (done % s.evalEvery() == 0 || done == s.steps())
                    log.addEval(
                            done,
                            Evaluation.run(trainer.model(), evalSet, s.seqLen(), s.batchSize())
                                    .crossEntropy());
                boolean interrupted = stop.getAsBoolean();
                boolean save = done % s.checkpointEvery() == 0 || done == stopAt || interrupted;
                if (save) {
                    log.flush();
                    Checkpoint.save(
                            checkpoint,
                            trainer.model(),
                            trainer.optimizer(),
                            new Checkpoint.State(
                                    done, trainer.optimizer().steps(), cfg.fingerprint(), tokenizerSha, log.json()));
                    log.write(out.resolve(LOG));
                }
                // without a bar (logs, batch jobs): a line at each checkpoint and at least every 30 seconds
                if (bar == null && (save || System.nanoTime() - lastLine > 30e9)) {
                    lastLine = System.nanoTime();
                    o.console()
                            .println(progressLine(
                                    done, s.steps(), r.loss(), tokensPerSecond, (long) s.batchSize() * s.seqLen()));
                }
                if (interrupted) {
                    interruptedAt = done;
                    break;
                }
            }
        } finally {
            if (bar != null) bar.close();
            if (interruptedAt >= 0)
                o.console()
                        .printf(
                                "interrupted: checkpoint at step %d of %d written to %s%n",
                                interruptedAt, s.steps(), checkpoint);
            if (signal != null) signal.close(); // after the message: a shutdown in progress goes on from here
        }
        if (interruptedAt >= 0 || o.progressBar()) return;
        o.console().printf(Locale.ROOT, "trained to step %d, last loss %.4f%n", trainer.nextStep(), log.lastLoss());
    }

    /** "step 120/500  loss 4.1234  1,055 tok/s  ETA 12m40s": the rate is a recent average, the ETA counts steps only. */
    static String progressLine(int done, int steps, double loss, double tokensPerSecond, long tokensPerStep) {
        long eta = Math.round((steps - done) * tokensPerStep / tokensPerSecond);
        return String.format(
                Locale.ROOT,
                "step %d/%d  loss %.4f  %,.0f tok/s  ETA %s",
                done,
                steps,
                loss,
                tokensPerSecond,
                eta >= 3600
                        ? "%dh%02dm".formatted(eta / 3600, eta / 60 % 60)
                        : eta >= 60 ? "%dm%02ds".formatted(eta / 60, eta % 60) : eta + "s");
    }

    /**
     * Ctrl-C or SIGTERM while training: the JVM's shutdown waits (up to 10 minutes) until the step under way has
     * finished and its checkpoint is written, instead of dropping everything since the last one.
     */
    private static final class Interruption implements AutoCloseable {
        private final AtomicBoolean requested = new AtomicBoolean();
        private final CountDownLatch released = new CountDownLatch(1);
        private final Thread hook = new Thread(
                () -> {
                    requested.set(true);
                    try {
                        released.await(10, TimeUnit.MINUTES);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                },
                "train-interrupt");

        Interruption() {
            Runtime.getRuntime().addShutdownHook(hook);
        }

        boolean requested() {
            return requested.get();
        }

        @Override
        public void close() {
            released.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running: it returns now that the checkpoint is written
            }
        }
    }

    /** config.json, generation_config.json and model.safetensors in the export dtype; the tokenizer files are already there. */
    private static void exportWeights(
            Path out, Transformer model, ModelConfig config, DType dtype, int bos, List<Integer> eos)
            throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Tensor t : model.tensors(DType.F32)) tensors.put(t.name(), t);
        Weights weights = Weights.of(tensors);
        GenerationConfig generation = new GenerationConfig(bos, eos, bos, null, null, null, null, null, null, null);
        HfModelWriter.write(config, generation, weights, null, out, dtype, HfModelWriter.DEFAULT_MAX_SHARD_BYTES);
    }

    private static boolean isEmptyDirectory(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) return false;
        try (var s = Files.list(dir)) {
            return s.findAny().isEmpty();
        }
    }
}
