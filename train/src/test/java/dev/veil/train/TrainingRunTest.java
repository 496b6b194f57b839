package dev.veil.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.veil.engine.KvCache;
import dev.veil.engine.backend.LocalLinearBackend;
import dev.veil.engine.kernel.Parallel;
import dev.veil.model.ModelConfig;
import dev.veil.model.safetensors.SafetensorsWeights;
import dev.veil.tokenizer.Tokenizer;
import dev.veil.train.io.Sha256;
import dev.veil.train.model.Transformer;
import dev.veil.train.nn.Tape;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `veil train model` end to end on a tiny model: the output, the engine agreeing with training, determinism, resume. */
class TrainingRunTest {
    @TempDir
    static Path dir;

    static Path cache;
    static Path config;
    static Path full;

    @BeforeAll
    static void trainOnce() throws IOException {
        cache = TinyRun.cache(dir);
        config = TinyRun.config(dir, 1, "0.01");
        full = dir.resolve("full-run");
        TrainingRun.Result r = TinyRun.run(config, full, cache, false, 0);
        assertThat(r.stepsDone()).isEqualTo(8);
    }

    @Test
    void writesAStandardModelDirectory() throws IOException {
        for (String f : new String[] {
            "config.json",
            "model.safetensors",
            "generation_config.json",
            "tokenizer.json",
            "tokenizer_config.json",
            "MODEL_CARD.md",
            "training_curve.svg",
            "training_log.jsonl",
            "metrics.json",
            "train-config.json",
            TrainingRun.CHECKPOINT
        }) assertThat(full.resolve(f)).as(f).isRegularFile();
        ModelConfig c = ModelConfig.read(full);
        assertThat(c.architecture()).isEqualTo(ModelConfig.Architecture.QWEN2);
        assertThat(c.vocabSize()).isEqualTo(400);
        assertThat(c.tieWordEmbeddings()).isTrue();
        assertThat(c.attentionBias()).isTrue();
        assertThat(c.headDim()).isEqualTo(12);
        assertThat(c.bosTokenId()).isEqualTo(397);
        assertThat(c.eosTokenIds()).containsExactly(397, 399);
        assertThat(Tokenizer.load(full).vocabSize()).isEqualTo(400);
        JsonNode gen = new ObjectMapper()
                .readTree(full.resolve("generation_config.json").toFile());
        assertThat(gen.get("bos_token_id").asInt()).isEqualTo(397);

        // it learned something: the loss fell, and the held-out evaluation is in the log
        TrainingLog log = new TrainingLog((ArrayNode) new ObjectMapper()
                .readTree("[" + String.join(",", Files.readAllLines(full.resolve("training_log.jsonl"))) + "]"));
        assertThat(log.trainCurve()).hasSize(2); // flushed at each checkpoint: steps 4 and 8
        assertThat(log.trainCurve().get(1)[1]).isLessThan(log.trainCurve().get(0)[1]);
        assertThat(log.evalCurve()).hasSize(2);
        assertThat(log.evalCurve().get(1)[1]).isLessThan(Math.log(400));
        String card = Files.readString(full.resolve("MODEL_CARD.md"));
        assertThat(card)
                .contains("veil train model --config")
                .contains("| held-out (SOTU 2000–2021) |")
                .contains("tokens/s");
    }

    @Test
    void theInferenceEngineComputesTheLogitsTrainingComputes() throws IOException {
        assertTheEngineAgrees(full);
    }

    /**
     * Qwen3 (q/k norms, no bias) and Qwen3-MoE (4 experts, top 2) trained by `veil train model`: each checkpoint runs
     * in the engine with the trainer's logits.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({
        "qwen3,QWEN3,",
        "qwen3_moe,QWEN3_MOE,', \"num_experts\": 4, \"num_experts_per_tok\": 2, \"moe_intermediate_size\": 16'"
    })
    void aTrainedQwen3RunsInTheEngine(String architecture, ModelConfig.Architecture expected, String extra)
            throws IOException {
        Path file = dir.resolve("config-" + architecture + ".json");
        Files.writeString(
                file,
                TinyRun.CONFIG
                        .formatted(1, "0.01")
                        .replace(
                                "\"architecture\": \"qwen2\"",
                                "\"architecture\": \"" + architecture + "\"" + (extra == null ? "" : extra)));
        Path out = dir.resolve(architecture);
        TinyRun.run(file, out, cache, false, 0);
        ModelConfig c = ModelConfig.read(out);
        assertThat(c.architecture()).isEqualTo(expected);
        assertThat(c.attentionBias()).isFalse();
        if (c.moe() != null) assertThat(c.moe().numExperts()).isEqualTo(4);
        try (SafetensorsWeights w = SafetensorsWeights.open(out)) {
            assertThat(w.get("model.layers.1.self_attn.q_norm.weight").toFloats())
                    .as("trained, not left at 1")
                    .isNotEqualTo(new float[] {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1});
        }
        assertTheEngineAgrees(out);
    }

    private static void assertTheEngineAgrees(Path model) throws IOException {
        ModelConfig c = ModelConfig.read(model);
        int[] tokens =
                Tokenizer.load(model).encode("Fellow-Citizens of the Senate and House of Representatives: in meeting");
        int[] input = new int[Math.min(tokens.length + 1, 32)];
        input[0] = c.bosTokenId();
        System.arraycopy(tokens, 0, input, 1, input.length - 1);
        float[] ours;
        float[] engine;
        try (SafetensorsWeights w = SafetensorsWeights.open(model)) {
            ours = Transformer.fromWeights(c, w)
                    .logits(Tape.inference(), input, 1, input.length)
                    .value();
            try (LocalLinearBackend backend = new LocalLinearBackend(c, w, Parallel.shared())) {
                dev.veil.engine.Transformer t = new dev.veil.engine.Transformer(backend);
                KvCache kv = t.newCache();
                engine = t.forwardAll(input, kv);
            }
        }
        assertThat(engine).hasSameSizeAs(ours);
        double maxDiff = 0, maxAbs = 0;
        for (int i = 0; i < ours.length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs(ours[i] - engine[i]));
            maxAbs = Math.max(maxAbs, Math.abs(ours[i]));
        }
        // same float32 arithmetic, different summation orders in the matrix products: agreement to ~1e-6 of the scale
        assertThat(maxDiff).isLessThan(2e-5 * Math.max(1, maxAbs));
    }

    @Test
    void theSameSeedGivesBitIdenticalWeightsAndAnotherSeedOthers() throws IOException {
        Path again = dir.resolve("again");
        TinyRun.run(config, again, cache, false, 0);
        assertThat(Files.readAllBytes(again.resolve("model.safetensors")))
                .isEqualTo(Files.readAllBytes(full.resolve("model.safetensors")));

        Path other = dir.resolve("other-seed");
        TinyRun.run(TinyRun.config(dir, 2, "0.01"), other, cache, false, 0);
        assertThat(Files.readAllBytes(other.resolve("model.safetensors")))
                .isNotEqualTo(Files.readAllBytes(full.resolve("model.safetensors")));
    }

    @Test
    void aResumedRunEndsBitIdenticalToAnUninterruptedOne() throws IOException {
        Path split = dir.resolve("interrupted");
        TrainingRun.Result first = TinyRun.run(config, split, cache, false, 3); // stops at 3; checkpoint at 3
        assertThat(first.stepsDone()).isEqualTo(3);
        assertThat(first.report()).isNull();
        assertThat(split.resolve("model.safetensors")).doesNotExist();
        TrainingRun.Result rest = TinyRun.run(config, split, cache, true, 0);
        assertThat(rest.stepsDone()).isEqualTo(8);
        assertThat(Files.readAllBytes(split.resolve("model.safetensors")))
                .isEqualTo(Files.readAllBytes(full.resolve("model.safetensors")));
    }

    /**
     * An interruption between checkpoints (Ctrl-C: here the stop request a signal would make) still leaves a checkpoint
     * at the step it reached; the directory copied elsewhere (another machine) resumes to the uninterrupted weights.
     */
    @Test
    void anInterruptedRunResumedInACopiedDirectoryEndsBitIdentical() throws IOException {
        Path interrupted = dir.resolve("ctrl-c");
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        int[] polls = {0};
        TrainingRun.Result first = TrainingRun.run(
                new TrainingRun.Options(
                        config,
                        interrupted,
                        false,
                        0,
                        cache,
                        "test",
                        new PrintStream(console, true, StandardCharsets.UTF_8),
                        false),
                () -> ++polls[0] == 3);
        assertThat(first.stepsDone()).isEqualTo(3); // checkpoint_every is 4
        assertThat(Checkpoint.readState(interrupted.resolve(TrainingRun.CHECKPOINT))
                        .step())
                .isEqualTo(3);
        assertThat(console.toString(StandardCharsets.UTF_8)).contains("interrupted: checkpoint at step 3 of 8");
        assertThat(interrupted.resolve(TrainingRun.CHECKPOINT + ".partial")).doesNotExist();

        Path elsewhere = dir.resolve("other-machine").resolve("run");
        Files.createDirectories(elsewhere);
        try (var files = Files.list(interrupted)) {
            for (Path f : files.toList()) Files.copy(f, elsewhere.resolve(f.getFileName()));
        }
        TrainingRun.Result rest = TinyRun.run(elsewhere.resolve(TrainingRun.CONFIG_COPY), elsewhere, cache, true, 0);
        assertThat(rest.stepsDone()).isEqualTo(8);
        assertThat(Files.readAllBytes(elsewhere.resolve("model.safetensors")))
                .isEqualTo(Files.readAllBytes(full.resolve("model.safetensors")));
    }

    /** Without a progress bar (logs, batch jobs) each checkpoint prints the step, loss, tokens/s and the time left. */
    @Test
    void progressLinesGiveTokensPerSecondAndTheTimeLeft() throws IOException {
        assertThat(TrainingRun.progressLine(120, 500, 4.12346, 1000, 2048))
                .isEqualTo("step 120/500  loss 4.1235  1,000 tok/s  ETA 12m58s");
        assertThat(TrainingRun.progressLine(0, 10_000, 5, 1000, 2048))
                .isEqualTo("step 0/10000  loss 5.0000  1,000 tok/s  ETA 5h41m");
        assertThat(TrainingRun.progressLine(7, 8, 5, 64, 64)).isEqualTo("step 7/8  loss 5.0000  64 tok/s  ETA 1s");

        ByteArrayOutputStream console = new ByteArrayOutputStream();
        TrainingRun.run(new TrainingRun.Options(
                config,
                dir.resolve("logged"),
                false,
                0,
                cache,
                "test",
                new PrintStream(console, true, StandardCharsets.UTF_8),
                false));
        assertThat(console.toString(StandardCharsets.UTF_8).lines().filter(l -> l.startsWith("step ")))
                .anyMatch(l -> l.matches("step 4/8  loss \\d+\\.\\d{4}  [\\d,]+ tok/s  ETA \\d+s"))
                .anyMatch(l -> l.matches("step 8/8  loss \\d+\\.\\d{4}  [\\d,]+ tok/s  ETA 0s"));
    }

    @Test
    void resumingUnderOtherSettingsIsRefusedAndNothingChanges() throws IOException {
        Path partial = dir.resolve("partial");
        TinyRun.run(config, partial, cache, false, 4);
        Map<String, String> before = digests(partial);

        Path changed = TinyRun.config(dir, 1, "0.02");
        assertThatThrownBy(() -> TinyRun.run(changed, partial, cache, true, 0))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("cannot resume from " + partial.resolve(TrainingRun.CHECKPOINT))
                .hasMessageContaining("training.lr = 0.01, the config says 0.02");
        Path otherSeed = TinyRun.config(dir, 3, "0.01");
        assertThatThrownBy(() -> TinyRun.run(otherSeed, partial, cache, true, 0))
                .hasMessageContaining("seed = 1, the config says 3");
        assertThat(digests(partial)).isEqualTo(before);
    }

    @Test
    void aNonEmptyOutputDirectoryIsNotOverwritten() throws IOException {
        Map<String, String> before = digests(full);
        assertThatThrownBy(() -> TinyRun.run(config, full, cache, false, 0))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("is not empty")
                .hasMessageContaining("--resume");
        assertThat(digests(full)).isEqualTo(before);
        assertThatThrownBy(() -> TinyRun.run(config, dir.resolve("nothing-here"), cache, true, 0))
                .hasMessageContaining("cannot resume")
                .hasMessageContaining("does not exist");
    }

    @Test
    void aMissingCorpusNamesTheFetchCommandBeforeWritingAnything() {
        Path out = dir.resolve("no-corpus-out");
        assertThatThrownBy(() -> TinyRun.run(config, out, dir.resolve("empty-cache"), false, 0))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("run `veil data fetch sotu` first");
        assertThat(out).doesNotExist();
    }

    /** {@code veil train export} of a finished run's checkpoint writes the run's own model; the run is only read. */
    @Test
    void exportingTheCheckpointOfAFinishedRunGivesTheRunsOwnModel() throws IOException {
        Map<String, String> before = digests(full);
        Path exported = dir.resolve("exported");
        TrainingRun.Result r = TinyRun.export(config, full, exported, cache);
        assertThat(r.stepsDone()).isEqualTo(8);
        assertThat(Files.readAllBytes(exported.resolve("model.safetensors")))
                .isEqualTo(Files.readAllBytes(full.resolve("model.safetensors")));
        for (String f : new String[] {"config.json", "generation_config.json", "tokenizer.json", "metrics.json"})
            assertThat(exported.resolve(f)).as(f).hasSameTextualContentAs(full.resolve(f));
        assertThat(Files.readString(exported.resolve("MODEL_CARD.md")))
                .contains("Trained with `./veil train model --config " + config
                        + "`, exported from its checkpoint with `test export`")
                .contains("8 steps of 2 × 32 tokens");
        assertThat(digests(full)).isEqualTo(before);

        assertThatThrownBy(() -> TinyRun.export(config, full, exported, cache))
                .hasMessageContaining(exported + " is not empty");
        assertThatThrownBy(() -> TinyRun.export(config, full, full, cache))
                .hasMessageContaining("cannot export into the run directory itself");
        assertThatThrownBy(() -> TinyRun.export(TinyRun.config(dir, 1, "0.02"), full, dir.resolve("x"), cache))
                .hasMessageContaining("training.lr = 0.01, the config says 0.02");
        assertThat(dir.resolve("x")).doesNotExist();
    }

    /** A run stopped (or still training) exports the step its checkpoint holds, and the card says so. */
    @Test
    void exportingAStoppedRunWritesTheStepItReached() throws IOException {
        Path stopped = dir.resolve("stopped-at-4");
        TinyRun.run(config, stopped, cache, false, 4);
        Path exported = dir.resolve("exported-4");
        TrainingRun.Result r = TinyRun.export(config, stopped, exported, cache);
        assertThat(r.stepsDone()).isEqualTo(4);
        assertThat(r.report().steps()).isEqualTo(4);
        assertThat(Files.readString(exported.resolve("MODEL_CARD.md"))).contains("4 (of the config's 8) steps");
        assertThat(Files.readAllBytes(exported.resolve("model.safetensors")))
                .isNotEqualTo(Files.readAllBytes(full.resolve("model.safetensors")));
        assertTheEngineAgrees(exported);
    }

    /**
     * A config that names its tokenizer by path resolves it against the config's folder: the same run in another
     * checkout sees another absolute path to the same tokenizer, and still resumes (the tokenizer's SHA-256 is checked).
     */
    @Test
    void aTokenizerPathResolvedInAnotherCheckoutStillResumes() throws IOException {
        String withPath = TinyRun.CONFIG
                .formatted(1, "0.01")
                .replace("\"tokenizer\": { \"vocab_size\": 400 }", "\"tokenizer\": { \"path\": \"tok\" }");
        Path[] checkouts = {dir.resolve("checkout-a"), dir.resolve("checkout-b")};
        for (Path c : checkouts) {
            Files.createDirectories(c.resolve("tok"));
            for (String f : new String[] {"tokenizer.json", "tokenizer_config.json"})
                Files.copy(full.resolve(f), c.resolve("tok").resolve(f));
            Files.writeString(c.resolve("config.json"), withPath);
        }
        Path run = dir.resolve("path-run");
        TinyRun.run(checkouts[0].resolve("config.json"), run, cache, false, 4);
        TrainingRun.Result rest = TinyRun.run(checkouts[1].resolve("config.json"), run, cache, true, 0);
        assertThat(rest.stepsDone()).isEqualTo(8);
        assertThat(Files.readAllBytes(run.resolve("model.safetensors")))
                .isEqualTo(Files.readAllBytes(full.resolve("model.safetensors")));
    }

    private static Map<String, String> digests(Path d) throws IOException {
        Map<String, String> m = new TreeMap<>();
        try (var files = Files.list(d)) {
            for (Path f : files.toList())
                m.put(f.getFileName().toString(), Sha256.of(f) + "@" + Files.getLastModifiedTime(f));
        }
        return m;
    }
}
