package dev.veil.cli;

import dev.veil.aloepri.AloePriKey;
import dev.veil.aloepri.AloePriParams;
import dev.veil.aloepri.FfnNoiseProfile;
import dev.veil.aloepri.NoiseBudget;
import dev.veil.aloepri.ObfuscateModelDir;
import dev.veil.aloepri.experiment.NextTokenScores;
import dev.veil.aloepri.experiment.ObfuscationCost;
import dev.veil.attack.audit.AuditText;
import dev.veil.model.DType;
import dev.veil.model.ModelConfig;
import dev.veil.model.ModelFiles;
import dev.veil.model.TensorRole;
import dev.veil.model.VeilCache;
import dev.veil.tokenizer.Tokenizer;
import dev.veil.train.data.Document;
import dev.veil.train.data.Split;
import java.io.IOException;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code veil obfuscate}: AloePri's offline step — an obfuscated checkpoint any engine runs, and the secret key. */
@Command(
        name = "obfuscate",
        mixinStandardHelpOptions = true,
        description = {
            "Obfuscate a Hugging Face Llama, Qwen2, Qwen3 or Qwen3-MoE model with AloePri (covariant obfuscation).",
            "Writes a standard checkpoint (hidden size d+2h) that an unchanged engine serves,",
            "and an owner-only secret key file with the vocabulary permutation the gateway needs.",
            "Streams tensor by tensor; the output directory appears only when complete."
        })
public final class ObfuscateCommand implements Callable<Integer> {

    @Option(
            names = "--model",
            required = true,
            paramLabel = "DIR",
            description = "plain model directory (config.json + safetensors)")
    Path model;

    @Option(
            names = "--out",
            required = true,
            paramLabel = "DIR",
            description = "output directory for the obfuscated model (must not exist)")
    Path out;

    @Option(
            names = "--key",
            required = true,
            paramLabel = "KEYFILE",
            description = "secret key file to write (must not exist)")
    Path key;

    @Option(
            names = "--lambda",
            defaultValue = "0.3",
            description = "distance of B from orthogonal, > 0 (default: ${DEFAULT-VALUE})")
    double lambda;

    @Option(names = "--h", paramLabel = "H", description = "hidden expansion, even >= 0 (default: min(128, d/8))")
    Integer expansion;

    @Option(
            names = "--alpha-e",
            defaultValue = "" + AloePriParams.VEIL_ALPHA_E,
            description = "embedding noise, x its std (default: ${DEFAULT-VALUE})")
    double alphaE;

    @Option(
            names = "--alpha-h",
            defaultValue = "" + AloePriParams.VEIL_ALPHA_H,
            description = "LM-head noise, x its std (default: ${DEFAULT-VALUE})")
    double alphaH;

    @Option(
            names = "--beta",
            defaultValue = "8",
            description = "largest RoPE block-permutation window; 1 = off (default: ${DEFAULT-VALUE})")
    int beta;

    @Option(
            names = "--gamma",
            defaultValue = "1000",
            description = "inverse temperature of the window choice (default: ${DEFAULT-VALUE})")
    double gamma;

    @Option(
            names = "--alpha-down",
            defaultValue = "" + AloePriParams.VEIL_ALPHA_DOWN,
            description = "beyond the paper: noise on every W_down, x its std (default: ${DEFAULT-VALUE})")
    double alphaDown;

    @Option(
            names = "--alpha-gate-up",
            defaultValue = "" + AloePriParams.VEIL_ALPHA_GATE_UP,
            description = "beyond the paper: noise on every W_gate and W_up, x its std (default: ${DEFAULT-VALUE})")
    double alphaGateUp;

    @Option(
            names = "--split",
            defaultValue = "" + AloePriParams.VEIL_SPLIT,
            description =
                    "beyond the paper: split every FFN unit into K exact parts; 1 = off (default: ${DEFAULT-VALUE})")
    int split;

    @Option(
            names = "--depth-scaled-ffn-noise",
            negatable = true,
            defaultValue = "" + AloePriParams.VEIL_DEPTH_SCALED,
            fallbackValue = "true",
            description =
                    "--alpha-down and --alpha-gate-up are whole-model amounts: each of the L layers gets alpha/sqrt(L) (default: ${DEFAULT-VALUE})")
    boolean depthScaled;

    @Option(
            names = "--ffn-noise-profile",
            defaultValue = "gaussian",
            paramLabel = "PROFILE",
            description = {
                "shape of the --alpha-down noise: gaussian (i.i.d.) or activation (placed where the plain model's FFN",
                "activations on --noise-text hardly reach: same Frobenius norm, less output error) (default: ${DEFAULT-VALUE})"
            })
    String ffnNoiseProfile;

    @Option(
            names = "--noise-text",
            paramLabel = "FILE",
            description =
                    "with --ffn-noise-profile activation: public UTF-8 text the activations are measured on (default: the SOTU train split, `veil data fetch sotu`)")
    Path noiseText;

    @Option(
            names = "--alpha-router",
            defaultValue = "0",
            description =
                    "beyond the paper: noise on every mixture-of-experts router, x its std (default: ${DEFAULT-VALUE})")
    double alphaRouter;

    @Option(
            names = "--ppl-budget",
            paramLabel = "PERCENT",
            description = {
                "accuracy budget: scale all noise (alpha_e, alpha_h, alpha_down, alpha_gate_up by one factor, up to "
                        + (int) NoiseBudget.MAX_FACTOR
                        + "x) to the most whose held-out perplexity increase stays within PERCENT",
                "(measured with this run's key on --ppl-text; a few in-memory obfuscate+evaluate rounds before writing)"
            })
    Double pplBudget;

    @Option(
            names = "--ppl-text",
            paramLabel = "FILE",
            description =
                    "public UTF-8 text the cost check and --ppl-budget measure on (default: the SOTU held-out split, `veil data fetch sotu`)")
    Path pplText;

    @Option(
            names = "--ppl-tokens",
            defaultValue = "2048",
            paramLabel = "N",
            description = "positions of that text scored, in windows of 256 (default: ${DEFAULT-VALUE})")
    int pplTokens;

    @Option(
            names = "--no-cost-check",
            description =
                    "skip the cost check: after writing (without --ppl-budget, which measures its own), the plain and the obfuscated model are scored on --ppl-text and the perplexity increase and next-token agreement printed")
    boolean noCostCheck;

    @Option(
            names = "--cost-warning",
            defaultValue = "25",
            paramLabel = "PERCENT",
            description =
                    "warn when the cost check measures a perplexity increase above PERCENT (default: ${DEFAULT-VALUE})")
    double costWarning;

    @Option(
            names = "--no-router-norm",
            description =
                    "mixture-of-experts models: keep the router rows as they are instead of the paper's normalisation (exact routing)")
    boolean noRouterNorm;

    @Option(
            names = "--audit",
            description =
                    "after writing, run the weight-only attacks on the result (the SOTU held-out split; `veil data fetch sotu`) and print the strongest")
    boolean audit;

    @Option(
            names = "--audit-threshold",
            defaultValue = AloePriSelfAudit.DEFAULT_THRESHOLD,
            paramLabel = "P",
            description =
                    "with --audit: warn when the strongest attack recovers more than this share of held-out text tokens (default: ${DEFAULT-VALUE})")
    double auditThreshold;

    @Option(
            names = "--seed",
            description = "any text: a reproducible obfuscation; whoever guesses it has the key, so a warning"
                    + " below ~128 bits by a character-entropy estimate (default: a fresh random key)")
    String seed;

    @Option(names = "--dtype", description = "output storage: F32, BF16 or F16 (default: as the plain model)")
    DType dtype;

    @Option(
            names = "--calibration-tokens",
            defaultValue = "128",
            paramLabel = "N",
            description =
                    "calibrate the RMSNorm constants kappa on the plain model's activations over N random ids; 0 = the paper's Gaussian estimate (default: ${DEFAULT-VALUE})")
    int calibrationTokens;

    @Option(
            names = "--gguf",
            paramLabel = "PATH",
            description =
                    "also write the obfuscated model as GGUF for llama.cpp (synthetic vocabulary: the server runs on token ids)")
    Path gguf;

    /** Encrypts the key file when given. */
    @Mixin
    Passphrases passphrases = new Passphrases();

    @Override
    public Integer call() throws Exception {
        ModelConfig config = ModelConfig.read(model);
        int d = config.hiddenSize();
        AloePriParams params = new AloePriParams(
                lambda,
                expansion != null ? expansion : AloePriParams.defaultExpansion(d),
                alphaE,
                alphaH,
                beta,
                gamma,
                alphaDown,
                alphaGateUp,
                split,
                !noRouterNorm,
                depthScaled,
                FfnNoiseProfile.parse(ffnNoiseProfile),
                alphaRouter);
        NoiseBudget.Target budget = pplBudget == null ? null : budget(pplBudget);
        if (budget == null && !noCostCheck) { // before anything is written
            requirePplTokens();
            if (!(costWarning >= 0) || Double.isInfinite(costWarning))
                throw new IllegalArgumentException("--cost-warning must be a percentage >= 0, got " + costWarning);
            // asked for by name: an error, not a note afterwards
            if (pplText != null && !Files.isReadable(pplText))
                throw new IllegalArgumentException("--ppl-text " + pplText + " is not a readable file");
        }
        char[] pass = passphrases.resolve();
        if (seed != null && SeedEntropy.warning(seed) != null) System.err.println(SeedEntropy.warning(seed));
        long start = System.nanoTime();
        AloePriKey k;
        int total = TensorRole.hfTensors(config).size() + (config.tieWordEmbeddings() ? 1 : 0);
        // started at the first tensor written, so the budget's calibration rounds print on lines of their own
        ProgressBar[] bar = {null};
        try {
            k = ObfuscateModelDir.run(
                    new ObfuscateModelDir.Request(
                            model,
                            out,
                            key,
                            params,
                            seed,
                            dtype,
                            pass,
                            calibrationTokens,
                            gguf,
                            s -> {
                                if (bar[0] == null)
                                    bar[0] = new ProgressBarBuilder()
                                            .setTaskName("obfuscate")
                                            .setInitialMax(total)
                                            .setStyle(ProgressBarStyle.ASCII)
                                            .setUnit(" tensors", 1)
                                            .continuousUpdate()
                                            .build();
                                bar[0].step();
                            },
                            noiseText(params)),
                    budget);
        } finally {
            if (bar[0] != null) bar[0].close();
        }
        params = k.params();
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf(
                "obfuscated %s -> %s in %.1f s (hidden %d -> %d, lambda %s, h %d, alpha_e %.4g, alpha_h %.4g, beta %d, gamma %s, alpha_down %.4g%s, alpha_gate_up %.4g, split %d)%n",
                model,
                out,
                seconds,
                d,
                k.obfuscatedHiddenSize(),
                lambda,
                params.expansion(),
                params.alphaE(),
                params.alphaH(),
                beta,
                gamma,
                params.alphaDown(),
                (params.depthScaled() ? " depth-scaled: /sqrt(" + config.numLayers() + ") per layer" : "")
                        + (params.ffnNoise() != FfnNoiseProfile.GAUSSIAN
                                ? " " + params.ffnNoise().label()
                                : "")
                        + (params.alphaRouter() > 0 ? String.format(", alpha_router %.4g", params.alphaRouter()) : ""),
                params.alphaGateUp(),
                split);
        if (gguf != null) System.out.printf("GGUF for llama.cpp: %s%n", gguf);
        System.out.printf(
                "secret key: %s (%s, owner-only); keep it off the server%n",
                key, pass == null ? "unencrypted" : "passphrase-encrypted");
        if (budget == null && !noCostCheck) costCheck(k);
        if (audit) AloePriSelfAudit.run(model, out, k, auditThreshold, new PrintWriter(System.out, true));
        return 0;
    }

    /** The activation profile's calibration text (--noise-text, else the SOTU train split) as token ids; null otherwise. */
    private int[] noiseText(AloePriParams params) throws IOException {
        if (params.ffnNoise() != FfnNoiseProfile.ACTIVATION || params.alphaDown() == 0) return null;
        List<String> texts = noiseText != null
                ? List.of(Files.readString(noiseText))
                : Split.TRAIN.read(VeilCache.dir()).stream().map(Document::text).toList();
        try (ModelFiles files = ModelFiles.open(model)) {
            return AuditText.tokens(Tokenizer.load(files.tokenizerDir()), texts, NOISE_TEXT_TOKENS);
        }
    }

    /** Tokens of --noise-text the activations are measured on (windows of 256). */
    static final int NOISE_TEXT_TOKENS = 4096;

    /** The budget's text: --ppl-text, else the SOTU held-out split, tokenized with the model's tokenizer. */
    private NoiseBudget.Target budget(double percent) throws IOException {
        requirePplTokens();
        double fraction = percent / 100;
        NoiseBudget.requireBudget(fraction); // before any text is read
        int[] tokens;
        try (ModelFiles files = ModelFiles.open(model)) {
            tokens = pplText(files);
        }
        if (tokens.length < pplTokens + 1)
            System.err.printf(
                    "note: the budget text holds %d tokens, fewer than --ppl-tokens %d + 1%n",
                    tokens.length, pplTokens);
        return new NoiseBudget.Target(
                fraction, tokens, 256, NoiseBudget.DEFAULT_STEPS, line -> System.out.println(line));
    }

    private void requirePplTokens() {
        if (pplTokens < 2) throw new IllegalArgumentException("--ppl-tokens must be at least 2, got " + pplTokens);
    }

    /** --ppl-text, else the SOTU held-out split, as {@code plain}'s token ids (at most --ppl-tokens + 1). */
    private int[] pplText(ModelFiles plain) throws IOException {
        // the tokenizer first: without it no text can be scored, whether or not the corpus is in the cache
        if (plain.tokenizerDir() == null) throw new IOException(model + " has no tokenizer.json to read the text with");
        List<String> texts = pplText != null
                ? List.of(Files.readString(pplText))
                : Split.HELDOUT.read(VeilCache.dir()).stream()
                        .map(Document::text)
                        .toList();
        return AuditText.tokens(Tokenizer.load(plain.tokenizerDir()), texts, pplTokens + 1);
    }

    /**
     * What the written checkpoint costs: both models scored on the budget's text, the served one through τ. Veil's
     * defaults cost a deeper or better-trained model far more than the bundled one (aloepri/README.md, Depth), so the
     * user sees the number for their own model rather than ours. Missing text is a note, not a failure: the model and
     * key are already written.
     */
    private void costCheck(AloePriKey k) throws IOException {
        try (ModelFiles plain = ModelFiles.open(model);
                ModelFiles served = ModelFiles.open(out)) {
            int[] tokens;
            try {
                tokens = pplText(plain);
            } catch (IOException e) {
                System.out.printf(
                        "cost: not measured (%s); --ppl-text FILE gives it text, --no-cost-check skips it%n",
                        e.getMessage());
                return;
            }
            if (tokens.length < 2) {
                System.out.println("cost: not measured (the text holds fewer than 2 tokens)");
                return;
            }
            System.out.printf(
                    "cost: scoring the plain and the obfuscated model on %d tokens (--no-cost-check skips this)%n",
                    tokens.length);
            int context = Math.min(256, tokens.length);
            NextTokenScores base =
                    NextTokenScores.of(ObfuscationCost.engine(plain.config(), plain.weights()), tokens, context);
            ObfuscationCost cost = ObfuscationCost.measure(
                    base, ObfuscationCost.engine(served.config(), served.weights()), k.permutation(), tokens, context);
            System.out.println("cost: " + cost.summary() + " against the plain model on "
                    + (pplText != null ? pplText : "the SOTU held-out split"));
            if (cost.increase() > costWarning / 100)
                System.out.printf(
                        Locale.ROOT,
                        "WARNING: the obfuscated model's perplexity is %+.1f%% over the plain model's, above --cost-warning %s%%:"
                                + " it answers worse. --ppl-budget PERCENT scales the noise to the most that stays within"
                                + " PERCENT, which on most models also means a larger leak (aloepri/README.md, Accuracy budget; --audit measures it)%n",
                        100 * cost.increase(),
                        BigDecimal.valueOf(costWarning).stripTrailingZeros().toPlainString());
        }
    }
}
