package dev.veil.cli;

import dev.veil.aloepri.SpecialTokens;
import dev.veil.aloepri.experiment.AccuracyExperiment;
import dev.veil.aloepri.experiment.AccuracyReport;
import dev.veil.aloepri.experiment.QuantExperiment;
import dev.veil.attack.aloepri.Frontier;
import dev.veil.model.DType;
import dev.veil.model.ModelConfig;
import dev.veil.model.ModelFiles;
import dev.veil.model.VeilCache;
import dev.veil.tokenizer.Tokenizer;
import dev.veil.train.data.Document;
import dev.veil.train.data.Documents;
import dev.veil.train.data.Split;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code veil experiment}: studies that measure what the protections cost. */
@Command(
        name = "experiment",
        mixinStandardHelpOptions = true,
        description = "Run an experiment and write its results.",
        subcommands = {
            ExperimentCommand.AloePriAccuracy.class,
            ExperimentCommand.AloePriFrontier.class,
            ExperimentCommand.AloePriQuant.class
        })
final class ExperimentCommand {

    @Command(
            name = "aloepri-accuracy",
            mixinStandardHelpOptions = true,
            description = {
                "AloePri's accuracy price (cf. the paper's Figures 3-5): sweeps alpha_e, alpha_h, lambda (F32 and BF16)",
                "and h one at a time around the defaults; for each, held-out perplexity on the State of the Union",
                "addresses 2000-2021 and next-token agreement with the plain model. Writes JSON, SVG plots and a",
                "markdown summary. Needs the corpus: run `veil data fetch sotu` first."
            })
    static final class AloePriAccuracy implements Callable<Integer> {

        @Mixin
        PlainModel plain;

        @Option(
                names = "--out",
                defaultValue = "aloepri-accuracy",
                paramLabel = "DIR",
                description = "output directory (default: ${DEFAULT-VALUE})")
        Path out;

        @Mixin
        Evaluation eval;

        @Option(
                names = "--seed",
                defaultValue = "aloepri-accuracy",
                description = "key seed shared by every point (default: ${DEFAULT-VALUE})")
        String seed;

        @Option(
                names = "--heldout",
                paramLabel = "FILE",
                description =
                        "held-out documents as JSON lines {\"id\",\"text\"} (default: the SOTU held-out split of `veil data fetch sotu`)")
        Path heldout;

        @Override
        public Integer call() throws Exception {
            eval.check(); // the arguments before the corpus: a bad one is reported whether or not the corpus is there
            List<Document> docs;
            if (heldout == null)
                docs = Split.HELDOUT.read(VeilCache.dir()); // names `veil data fetch sotu` when missing
            else if (Files.isRegularFile(heldout)) docs = Documents.read(heldout);
            else throw new IOException(heldout + ": no such held-out file");
            int[] ids = eval.heldOut(docs, plain);
            var report = AccuracyExperiment.run(
                    plain.dir,
                    ids,
                    eval.settings(ids, plain, seed),
                    line -> System.out.println("aloepri-accuracy: " + line));
            Path md = AccuracyReport.write(report, out);
            System.out.println("wrote " + md + ", aloepri-accuracy.json and the SVG plots in " + out);
            return 0;
        }
    }

    @Command(
            name = "aloepri-frontier",
            mixinStandardHelpOptions = true,
            description = {
                "AloePri's privacy/accuracy frontier: for the paper's defaults, each defense beyond the paper (noise on",
                "W_down, on W_gate/W_up, the exact unit split, larger h) and combinations, the strongest weight-only attack",
                "(an attacker who knows the defense) on held-out SOTU text vs the held-out perplexity increase and",
                "next-token agreement. Writes aloepri-frontier.json, .md and .svg. Needs `veil data fetch sotu`."
            })
    static final class AloePriFrontier implements Callable<Integer> {

        @Mixin
        PlainModel plain;

        @Option(
                names = "--out",
                defaultValue = "docs/results/aloepri",
                paramLabel = "DIR",
                description = "output directory (default: ${DEFAULT-VALUE})")
        Path out;

        @Option(
                names = "--audit-tokens",
                defaultValue = "4096",
                paramLabel = "N",
                description = "held-out tokens the attacks are scored on (default: ${DEFAULT-VALUE})")
        int auditTokens;

        @Option(
                names = "--tokens",
                defaultValue = "2048",
                paramLabel = "N",
                description = "held-out tokens for perplexity and agreement (default: ${DEFAULT-VALUE})")
        int tokens;

        @Option(
                names = "--public-tokens",
                defaultValue = "20000",
                paramLabel = "N",
                description = "the attacker's public text, for the reads-nothing reference (default: ${DEFAULT-VALUE})")
        int publicTokens;

        @Option(
                names = "--seed",
                defaultValue = "aloepri-frontier",
                description = "key seed shared by every point (default: ${DEFAULT-VALUE})")
        String seed;

        @Option(
                names = "--settings",
                split = ";",
                paramLabel = "TEXT",
                description =
                        "only the settings whose name contains one of these, separated by ';' (the names hold commas)")
        List<String> only;

        @Option(
                names = "--append",
                paramLabel = "JSON",
                description =
                        "add the selected settings' points to an earlier run's aloepri-frontier.json (same model, seed and token counts; a setting run again replaces its point)")
        Path append;

        @Option(
                names = "--replot",
                paramLabel = "JSON",
                description =
                        "render the table and plot of an earlier run's aloepri-frontier.json into --out, running nothing")
        Path replot;

        @Override
        public Integer call() throws Exception {
            if (replot != null) {
                for (Path p : Frontier.write(Frontier.read(replot), out)) System.out.println("written: " + p);
                return 0;
            }
            if (tokens < 2 || auditTokens < 1)
                throw new IllegalArgumentException("--tokens must be >= 2 and --audit-tokens >= 1");
            try (var files = ModelFiles.open(plain.dir)) {
                var config = files.config();
                Tokenizer tok = Tokenizer.load(files.tokenizerDir());
                List<Document> heldout = Split.HELDOUT.read(VeilCache.dir());
                int[] audit = heldOutTokens(heldout, tok, auditTokens);
                int[] accuracy = heldOutTokens(heldout, tok, tokens + 1);
                int[] pub = heldOutTokens(Split.TRAIN.read(VeilCache.dir()), tok, publicTokens);
                var settings = NameFilter.requireSettings(
                        Frontier.standardSettings(config.hiddenSize()), only, Frontier.Setting::name);
                var result = Frontier.run(
                        plain.dir.toAbsolutePath().normalize().getFileName().toString(),
                        config,
                        files.weights(),
                        SpecialTokens.read(plain.dir, config),
                        settings,
                        audit,
                        accuracy,
                        Math.min(plain.context, accuracy.length),
                        pub,
                        seed,
                        line -> System.out.println("aloepri-frontier: " + line));
                if (append != null) result = Frontier.merge(Frontier.read(append), result);
                for (Path p : Frontier.write(result, out)) System.out.println("written: " + p);
            }
            return 0;
        }
    }

    @Command(
            name = "aloepri-quant",
            mixinStandardHelpOptions = true,
            description = {
                "AloePri x quantization: the plain model and obfuscated ones (noise off and Veil's defaults, several",
                "lambda, h default and 128), each at F32 and quantized to Q8_0 and Q4_K_M as `veil convert --dtype`",
                "writes them; held-out SOTU perplexity, next-token agreement and the weights' quantization error.",
                "Writes aloepri-quant.json and .md. Needs `veil data fetch sotu`."
            })
    static final class AloePriQuant implements Callable<Integer> {

        @Mixin
        PlainModel plain;

        @Option(
                names = "--out",
                defaultValue = "docs/results/aloepri",
                paramLabel = "DIR",
                description = "output directory (default: ${DEFAULT-VALUE})")
        Path out;

        @Mixin
        Evaluation eval;

        @Option(
                names = "--seed",
                defaultValue = "aloepri-quant",
                description = "key seed shared by every setting (default: ${DEFAULT-VALUE})")
        String seed;

        @Option(
                names = "--settings",
                split = ";",
                paramLabel = "TEXT",
                description = "only the settings whose name contains one of these, separated by ';'")
        List<String> only;

        @Option(
                names = "--roles",
                paramLabel = "DTYPE",
                description =
                        "instead: store one tensor group at a time as q8_0, q4_k, bf16 or f16 (the rest F32), for the"
                                + " plain model and the selected settings; writes aloepri-quant-roles.json and .md")
        String roles;

        @Override
        public Integer call() throws Exception {
            eval.check();
            int[] ids = eval.heldOut(Split.HELDOUT.read(VeilCache.dir()), plain);
            var settings = eval.settings(ids, plain, seed);
            var sweep = NameFilter.requireSettings(
                    QuantExperiment.standardSettings(ModelConfig.read(plain.dir).hiddenSize()),
                    only,
                    QuantExperiment.Setting::name);
            if (roles != null) {
                DType dtype = DType.fromSafetensors(roles);
                if (dtype != DType.Q8_0 && dtype != DType.Q4_K && dtype != DType.BF16 && dtype != DType.F16)
                    throw new IllegalArgumentException("--roles takes q8_0, q4_k, bf16 or f16, not " + roles);
                var costs = QuantExperiment.roles(
                        plain.dir, ids, settings, sweep, dtype, line -> System.out.println("aloepri-quant: " + line));
                String name =
                        plain.dir.toAbsolutePath().normalize().getFileName().toString();
                System.out.println("wrote " + QuantExperiment.writeRoles(costs, name, out));
                return 0;
            }
            var report = QuantExperiment.run(
                    plain.dir, ids, settings, sweep, line -> System.out.println("aloepri-quant: " + line));
            System.out.println("wrote " + QuantExperiment.write(report, out) + " and aloepri-quant.json");
            return 0;
        }
    }

    /** The first {@code count} tokens of {@code docs}, one document after another. */
    static int[] heldOutTokens(List<Document> docs, Tokenizer tokenizer, int count) throws IOException {
        int[] ids = new int[0];
        for (int d = 0; d < docs.size() && ids.length < count; d++) {
            int[] more = tokenizer.encode(docs.get(d).text(), false, false);
            int[] joined = Arrays.copyOf(ids, ids.length + more.length);
            System.arraycopy(more, 0, joined, ids.length, more.length);
            ids = joined;
        }
        if (ids.length < 2) throw new IOException("the held-out documents hold fewer than 2 tokens of text");
        return Arrays.copyOf(ids, Math.min(count, ids.length));
    }

    /** The held-out evaluation options aloepri-accuracy and aloepri-quant share. */
    static final class Evaluation {
        @Option(
                names = "--tokens",
                defaultValue = "4096",
                paramLabel = "N",
                description = "held-out tokens per point (default: ${DEFAULT-VALUE})")
        int tokens;

        @Option(
                names = "--calibration-tokens",
                defaultValue = "128",
                paramLabel = "N",
                description = "kappa calibration ids, as veil obfuscate (default: ${DEFAULT-VALUE})")
        int calibrationTokens;

        /** Rejects option values no run can use. */
        void check() {
            if (tokens < 2) throw new IllegalArgumentException("--tokens must be at least 2, got " + tokens);
        }

        /**
         * The first --tokens + 1 token ids of {@code docs} (one more than scored: the last is only a target); the
         * caller has run {@link #check} before reading {@code docs}.
         */
        int[] heldOut(List<Document> docs, PlainModel plain) throws IOException {
            return heldOutTokens(docs, Tokenizer.load(plain.dir), tokens + 1);
        }

        AccuracyExperiment.Settings settings(int[] ids, PlainModel plain, String seed) {
            return new AccuracyExperiment.Settings(Math.min(plain.context, ids.length), calibrationTokens, seed);
        }
    }

    /** {@code --model} and {@code --context}: the plain model both experiments start from, and their window. */
    static final class PlainModel {
        @Option(
                names = "--model",
                required = true,
                paramLabel = "DIR",
                description = "plain Hugging Face model directory (with tokenizer.json)")
        Path dir;

        @Option(
                names = "--context",
                defaultValue = "256",
                paramLabel = "N",
                description = "evaluation window (default: ${DEFAULT-VALUE})")
        int context;
    }
}
