package dev.veil.train;

import dev.veil.model.Fixtures;
import dev.veil.train.data.Document;
import dev.veil.train.data.Documents;
import dev.veil.train.data.SotuCorpus;
import dev.veil.train.data.Split;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A cache with small real splits and a config for a model trained in a second: what the run tests share. */
final class TinyRun {
    private TinyRun() {}

    static final String CONFIG = """
            {
              "seed": %d,
              "tokenizer": { "vocab_size": 400 },
              "model": { "architecture": "qwen2", "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
                         "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 12, "tie_word_embeddings": true,
                         "max_position_embeddings": 64 },
              "training": { "steps": 8, "batch_size": 2, "seq_len": 32, "lr": %s, "warmup_steps": 2,
                            "checkpoint_every": 4, "eval_every": 4, "eval_tokens": 256 },
              "export": { "dtype": "float32" }
            }
            """;

    /** Three early addresses to train on, a cut of the last one held out, a few fortunes. */
    static Path cache(Path dir) throws IOException {
        Path scratch = dir.resolve("full");
        Map<Split, List<Document>> splits = SotuCorpus.split(Fixtures.sotuPackage(), scratch);
        Path cache = dir.resolve("cache");
        Files.createDirectories(Split.TRAIN.path(cache).getParent());
        Files.createDirectories(Split.OUT_OF_DOMAIN.path(cache).getParent());
        Documents.write(Split.TRAIN.path(cache), splits.get(Split.TRAIN).subList(0, 3));
        Document last = splits.get(Split.HELDOUT).getLast();
        Documents.write(
                Split.HELDOUT.path(cache),
                List.of(new Document(last.id(), last.text().substring(0, 3000))));
        List<Document> fortunes = new ArrayList<>();
        for (int i = 0; i < 20; i++)
            fortunes.add(new Document("f#" + i, "Fortune number " + i + ": a penny saved is a penny earned."));
        Documents.write(Split.OUT_OF_DOMAIN.path(cache), fortunes);
        return cache;
    }

    static Path config(Path dir, long seed, String lr) throws IOException {
        Path file = dir.resolve("config-" + seed + "-" + lr + ".json");
        Files.writeString(file, CONFIG.formatted(seed, lr));
        return file;
    }

    static TrainingRun.Result run(Path config, Path out, Path cache, boolean resume, int maxSteps) throws IOException {
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
        return TrainingRun.run(new TrainingRun.Options(
                config, out, resume, maxSteps, cache, "veil train model --config " + config, quiet, false));
    }

    static TrainingRun.Result export(Path config, Path run, Path out, Path cache) throws IOException {
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
        return TrainingRun.export(new TrainingRun.ExportOptions(config, run, out, cache, "test export", null, quiet));
    }
}
