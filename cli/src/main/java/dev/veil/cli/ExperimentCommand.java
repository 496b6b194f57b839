package dev.veil.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.aloepri.experiment.AccuracyExperiment;
import dev.veil.aloepri.experiment.AccuracyReport;
import dev.veil.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code veil experiment}: studies that measure what the protections cost. */
@Command(name = "experiment", mixinStandardHelpOptions = true, description = "Run an experiment and write its results.",
        subcommands = ExperimentCommand.AloePriAccuracy.class)
final class ExperimentCommand {

    @Command(name = "aloepri-accuracy", mixinStandardHelpOptions = true,
            description = {"AloePri's accuracy price (cf. the paper's Figures 3-5): sweeps alpha_e, alpha_h, lambda (F32 and BF16)",
                    "and h one at a time around the defaults; for each, held-out perplexity on the State of the Union",
                    "addresses 2000-2021 and next-token agreement with the plain model. Writes JSON, SVG plots and a",
                    "markdown summary. Needs the corpus: run `veil data fetch sotu` first."})
    static final class AloePriAccuracy implements Callable<Integer> {

        @Option(names = "--model", required = true, paramLabel = "DIR", description = "plain Hugging Face model directory (with tokenizer.json)")
        Path model;

        @Option(names = "--out", defaultValue = "aloepri-accuracy", paramLabel = "DIR", description = "output directory (default: ${DEFAULT-VALUE})")
        Path out;

        @Option(names = "--tokens", defaultValue = "4096", paramLabel = "N", description = "held-out tokens per point (default: ${DEFAULT-VALUE})")
        int tokens;

        @Option(names = "--context", defaultValue = "256", paramLabel = "N", description = "evaluation window (default: ${DEFAULT-VALUE})")
        int context;

        @Option(names = "--calibration-tokens", defaultValue = "128", paramLabel = "N",
                description = "kappa calibration ids, as veil obfuscate (default: ${DEFAULT-VALUE})")
        int calibrationTokens;

        @Option(names = "--seed", defaultValue = "aloepri-accuracy", description = "key seed shared by every point (default: ${DEFAULT-VALUE})")
        String seed;

        @Option(names = "--heldout", paramLabel = "FILE",
                description = "held-out documents as JSON lines {\"id\",\"text\"} (default: the SOTU held-out split in the cache)")
        Path heldout;

        @Override
        public Integer call() throws Exception {
            if (tokens < 2) throw new IllegalArgumentException("--tokens must be at least 2, got " + tokens);
            Path split = heldout != null ? heldout : cacheDir().resolve("data/sotu/heldout.jsonl");
            if (!Files.isRegularFile(split))
                throw new IOException(split + ": held-out corpus not found; run `veil data fetch sotu` first (or give --heldout FILE)");
            int[] ids = heldOutTokens(split, Tokenizer.load(model), tokens + 1);
            var settings = new AccuracyExperiment.Settings(Math.min(context, ids.length), calibrationTokens, seed);
            var report = AccuracyExperiment.run(model, ids, settings, line -> System.out.println("aloepri-accuracy: " + line));
            Path md = AccuracyReport.write(report, out);
            System.out.println("wrote " + md + ", aloepri-accuracy.json and the SVG plots in " + out);
            return 0;
        }
    }

    /** The first {@code count} tokens of the documents in {@code jsonl}, one after another in file order. */
    static int[] heldOutTokens(Path jsonl, Tokenizer tokenizer, int count) throws IOException {
        ObjectMapper json = new ObjectMapper();
        int[] ids = new int[0];
        List<String> lines = Files.readAllLines(jsonl, StandardCharsets.UTF_8);
        for (int n = 0; n < lines.size() && ids.length < count; n++) {
            if (lines.get(n).isBlank()) continue;
            JsonNode doc;
            try {
                doc = json.readTree(lines.get(n));
            } catch (IOException e) {
                throw new IOException(jsonl + ":" + (n + 1) + ": not valid JSON");
            }
            if (!doc.path("text").isTextual()) throw new IOException(jsonl + ":" + (n + 1) + ": expected {\"id\": ..., \"text\": string}");
            int[] more = tokenizer.encode(doc.get("text").asText(), false, false);
            int[] joined = Arrays.copyOf(ids, ids.length + more.length);
            System.arraycopy(more, 0, joined, ids.length, more.length);
            ids = joined;
        }
        if (ids.length < 2) throw new IOException(jsonl + ": fewer than 2 tokens of text");
        return Arrays.copyOf(ids, Math.min(count, ids.length));
    }

    /** The data cache {@code veil data fetch} fills: {@code $VEIL_CACHE}, else {@code -Dveil.cache}, else ~/.cache/veil. */
    static Path cacheDir() {
        String env = System.getenv("VEIL_CACHE");
        if (env != null && !env.isBlank()) return Path.of(env);
        String prop = System.getProperty("veil.cache");
        if (prop != null && !prop.isBlank()) return Path.of(prop);
        return Path.of(System.getProperty("user.home"), ".cache", "veil");
    }
}
