package dev.veil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.aloepri.TinyModels;
import dev.veil.model.DType;
import dev.veil.model.ModelConfig;
import dev.veil.model.ModelFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ObfuscateCommandTest {

    @TempDir
    Path tmp;

    @Test
    void obfuscatesThenInspectsAndVerifiesTheKey() throws Exception {
        Path plain = TinyModels.write(tmp.resolve("plain"), TinyModels.qwen(), "cli");
        Path out = tmp.resolve("obf"), key = tmp.resolve("obf.key");
        Path gguf = tmp.resolve("obf.gguf");
        CliRun r = CliRun.run(
                "obfuscate",
                "--model",
                plain.toString(),
                "--out",
                out.toString(),
                "--key",
                key.toString(),
                "--seed",
                "x",
                "--dtype",
                "BF16",
                "--gguf",
                gguf.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.err())
                .contains("warning: --seed has about 0 bits of entropy"); // "x": reproducible, and said to be guessable
        assertThat(r.out()).contains("hidden 64 -> 80").contains("owner-only").contains("GGUF for llama.cpp: " + gguf);
        assertThat(r.out()) // written all the same: the cost check has no text it could tokenize
                .contains("cost: not measured (" + plain + " has no tokenizer.json to read the text with)");
        assertThat(ModelConfig.read(out).torchDtype()).isEqualTo("bfloat16");
        try (ModelFiles g = ModelFiles.open(gguf)) { // the same obfuscated model, as llama.cpp will load it
            assertThat(g.config().hiddenSize()).isEqualTo(80);
            assertThat(g.config().headDim()).isEqualTo(16);
            assertThat(g.weights().get("lm_head.weight").dtype()).isEqualTo(DType.BF16);
        }

        CliRun inspect = CliRun.run("key", "inspect", key.toString(), "--json", "--show-permutation");
        assertThat(inspect.exit()).as(inspect.err()).isZero();
        JsonNode n = new ObjectMapper().readTree(inspect.out());
        assertThat(n.path("permissions").asText()).isEqualTo("rw-------");
        assertThat(n.fieldNames())
                .toIterable()
                .as("the file's key object, with the special ids counted")
                .containsExactlyInAnyOrder(
                        "file",
                        "format",
                        "version",
                        "encrypted",
                        "permissions",
                        "params",
                        "architecture",
                        "hidden_size",
                        "obfuscated_hidden_size",
                        "vocab_size",
                        "plain_fingerprint",
                        "obfuscated_fingerprint",
                        "created",
                        "kappa",
                        "fixed_tokens",
                        "permutation");
        assertThat(n.path("fixed_tokens").isInt()).isTrue();
        assertThat(n.path("kappa").size()).isPositive();
        CliRun noPermutation = CliRun.run("key", "inspect", key.toString(), "--json");
        assertThat(new ObjectMapper().readTree(noPermutation.out()).has("permutation"))
                .isFalse();
        assertThat(n.path("params").path("h").asInt()).isEqualTo(8);
        assertThat(n.path("params").path("alpha_down").isNumber())
                .as("every parameter, as in the key file")
                .isTrue();
        int[] perm = new int[n.path("permutation").size()];
        for (int i = 0; i < perm.length; i++)
            perm[i] = n.path("permutation").get(i).asInt();
        assertThat(Arrays.stream(perm).sorted().toArray())
                .containsExactly(IntStream.range(0, 300).toArray());

        CliRun text = CliRun.run("key", "inspect", key.toString());
        assertThat(text.out())
                .contains("qwen2, hidden 64 -> 80, vocabulary 300")
                .doesNotContain("[");

        assertThat(CliRun.run("key", "verify", key.toString(), "--model", out.toString())
                        .exit())
                .isZero();
        assertThat(CliRun.run("key", "verify", key.toString(), "--model", plain.toString(), "--plain")
                        .exit())
                .isZero();
        CliRun mismatch = CliRun.run("key", "verify", key.toString(), "--model", plain.toString());
        assertThat(mismatch.exit()).isEqualTo(1);
        assertThat(mismatch.err()).contains("is not the model this key obfuscated");
    }

    /** The Gettysburg Address: public text the bundled model was not trained on. */
    private static final String TEXT = """
            Four score and seven years ago our fathers brought forth on this continent, a new nation, conceived in \
            Liberty, and dedicated to the proposition that all men are created equal. Now we are engaged in a great \
            civil war, testing whether that nation, or any nation so conceived and so dedicated, can long endure. We \
            are met on a great battle-field of that war. We have come to dedicate a portion of that field, as a final \
            resting place for those who here gave their lives that that nation might live. It is altogether fitting \
            and proper that we should do this. But, in a larger sense, we can not dedicate, we can not consecrate, we \
            can not hallow this ground. The brave men, living and dead, who struggled here, have consecrated it, far \
            above our poor power to add or detract. The world will little note, nor long remember what we say here, \
            but it can never forget what they did here.""";

    private static final Pattern COST =
            Pattern.compile("cost: perplexity ([-+][0-9.]+)% \\(.* next-token agreement ([0-9.]+)%");

    @Test
    void measuresWhatTheWrittenCheckpointCostsAndWarnsAboveTheLimit() throws Exception {
        Path model = AuditCommandTest.bundledModel();
        String text = Files.writeString(tmp.resolve("text.txt"), TEXT).toString();
        String seed = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        CliRun exact = obfuscate(
                model,
                "exact",
                "--seed",
                seed,
                "--ppl-text",
                text,
                "--alpha-e",
                "0",
                "--alpha-h",
                "0",
                "--alpha-down",
                "0",
                "--cost-warning",
                "3");
        assertThat(exact.exit()).as(exact.err()).isZero();
        Matcher m = COST.matcher(exact.out());
        assertThat(m.find()).as(exact.out()).isTrue();
        // the exact transforms cost only the kappa/RMSNorm error (aloepri/README.md: +0.3%, 97.5% on SOTU)
        assertThat(Math.abs(Double.parseDouble(m.group(1)))).isLessThan(2);
        assertThat(Double.parseDouble(m.group(2))).isGreaterThan(90);
        assertThat(exact.out()).doesNotContain("WARNING");

        Files.delete(tmp.resolve("k"));
        CliRun noisy = obfuscate(model, "noisy", "--seed", seed, "--ppl-text", text, "--cost-warning", "10");
        assertThat(noisy.exit()).as(noisy.err()).isZero();
        m = COST.matcher(noisy.out());
        assertThat(m.find()).as(noisy.out()).isTrue();
        double increase = Double.parseDouble(m.group(1));
        // Veil's default noise: +52% on SOTU; the warning names the measured number and the limit
        assertThat(increase).isGreaterThan(10);
        assertThat(noisy.out())
                .contains(String.format(Locale.ROOT, "WARNING: the obfuscated model's perplexity is %+.1f%%", increase))
                .contains("above --cost-warning 10%");

        Files.delete(tmp.resolve("k"));
        CliRun skipped = obfuscate(model, "skipped", "--seed", seed, "--no-cost-check");
        assertThat(skipped.exit()).as(skipped.err()).isZero();
        assertThat(skipped.out()).doesNotContain("cost:");
        CliRun badLimit = obfuscate(model, "never", "--cost-warning", "-1");
        assertThat(badLimit.err()).contains("--cost-warning must be a percentage >= 0, got -1.0");
        CliRun noText = obfuscate(
                model, "never", "--ppl-text", tmp.resolve("missing.txt").toString());
        assertThat(noText.err()).contains("--ppl-text " + tmp.resolve("missing.txt") + " is not a readable file");
        assertThat(tmp.resolve("never")).doesNotExist();
    }

    @Test
    void theSelfAuditRefusesIncompleteOrMismatchedInputsWithOneLine() throws Exception {
        Path plain = TinyModels.write(tmp.resolve("plain"), TinyModels.qwen(), "cli-audit");
        CliRun noKey =
                CliRun.run("audit", "--mode", "aloepri", "--obfuscated", plain.toString(), "--model", plain.toString());
        assertThat(noKey.exit()).isEqualTo(1);
        assertThat(noKey.err()).contains("the self-audit needs --obfuscated DIR, --key KEYFILE and --model DIR");
        CliRun talaria = CliRun.run("audit", "--mode", "talaria", "--obfuscated", plain.toString(), "--key", "k");
        assertThat(talaria.err()).contains("use --mode aloepri");
        CliRun threshold = obfuscate(plain, "o", "--split", "0");
        assertThat(threshold.exit()).isEqualTo(1);
        assertThat(threshold.err()).contains("split (FFN units per plain unit) must be 1..16");
    }

    @Test
    void badParametersAndExistingOutputFailWithOneLine() throws Exception {
        Path plain = TinyModels.write(tmp.resolve("plain"), TinyModels.llama(), "cli2");
        CliRun odd = obfuscate(plain, "o", "--h", "7");
        assertThat(odd.exit()).isEqualTo(1);
        assertThat(odd.err().strip()).isEqualTo("veil: h (the hidden expansion) must be even and >= 0 (got 7)");
        CliRun lambda = obfuscate(plain, "o", "--lambda", "0");
        assertThat(lambda.err()).contains("lambda must be > 0");
        CliRun budget = obfuscate(plain, "o", "--ppl-budget", "-3");
        assertThat(budget.exit()).isEqualTo(1);
        assertThat(budget.err()).contains("the perplexity budget must be a positive percentage");
        CliRun fraction = obfuscate(plain, "o", "--ppl-budget", "2000");
        assertThat(fraction.err()).contains("give the percentage, e.g. 10 for +10%");
        Files.createDirectories(tmp.resolve("taken"));
        CliRun taken = obfuscate(plain, "taken");
        assertThat(taken.err()).contains("output directory already exists");
        CliRun env = obfuscate(plain, "o", "--passphrase-env", "VEIL_SURELY_UNSET_VARIABLE");
        assertThat(env.err()).contains("VEIL_SURELY_UNSET_VARIABLE (--passphrase-env) is not set");
        assertThat(tmp.resolve("o")).doesNotExist();
        assertThat(tmp.resolve("k")).doesNotExist();
    }

    /** {@code veil obfuscate --model plain --out tmp/out --key tmp/k}, then {@code more}. */
    private CliRun obfuscate(Path plain, String out, String... more) {
        List<String> args = new ArrayList<>(List.of(
                "obfuscate",
                "--model",
                plain.toString(),
                "--out",
                tmp.resolve(out).toString(),
                "--key",
                tmp.resolve("k").toString()));
        args.addAll(List.of(more));
        return CliRun.run(args.toArray(String[]::new));
    }
}
