package dev.veil.aloepri.experiment;

import static dev.veil.model.chart.MarkdownTable.f;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.veil.aloepri.AloePriParams;
import dev.veil.aloepri.ModelFingerprint;
import dev.veil.aloepri.ModelObfuscator;
import dev.veil.aloepri.VocabPermutation;
import dev.veil.engine.Transformer;
import dev.veil.engine.backend.LocalLinearBackend;
import dev.veil.engine.kernel.MatMul.Batching;
import dev.veil.engine.kernel.Parallel;
import dev.veil.model.DType;
import dev.veil.model.ModelConfig;
import dev.veil.model.Tensor;
import dev.veil.model.TensorRole;
import dev.veil.model.Weights;
import dev.veil.model.chart.MarkdownTable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Quantization × AloePri: held-out perplexity and next-token agreement of the plain model and of obfuscated models
 * (noise off, and Veil's defaults, at several λ and h), each stored as F32 and quantized to Q8_0 and Q4_K_M exactly as
 * {@code veil convert --dtype} writes them ({@link AccuracyExperiment#stored}), run on Veil's engine (whose quantized
 * products quantize the activations per block, as llama.cpp's CPU backend does). Each model is obfuscated once and
 * quantized three ways, so a setting's three rows differ by the storage only; every setting shares one seed.
 *
 * <p>Beside the scores, what quantization does to the weights themselves: the relative error ‖W − Q(W)‖/‖W‖ of the
 * per-layer matrices, their mean block peak (max |w| / rms over each 32-element block: what a block scale must
 * cover, so the step size relative to the typical weight), and the bits per weight the file type gives the model
 * (its hidden size decides which rows fit a 256-block).
 */
public final class QuantExperiment {

    /** The storages compared: F32 and the two file types {@code veil convert} writes. */
    public static final List<DType> DTYPES = List.of(DType.F32, DType.Q8_0, DType.Q4_K);

    /** λ values swept (the key's distance from orthogonal). */
    public static final double[] LAMBDAS = {0.1, 0.3, 1, 3};

    /** One obfuscation: its name in the tables and its parameters. */
    public record Setting(String name, boolean noise, AloePriParams params) {}

    /**
     * What quantization did to one model's weights.
     *
     * @param layerError     ‖W − Q(W)‖/‖W‖ over every per-layer matrix together (q, k, v, o, gate, up, down)
     * @param embeddingError the same for the embedding table
     * @param headError      the same for the output head (the embedding when tied)
     * @param blockPeak      mean over the per-layer matrices' 32-element blocks of max |w| / rms(w)
     * @param bitsPerWeight  bits of the stored 2-D weights per element
     */
    public record WeightStats(
            double layerError, double embeddingError, double headError, double blockPeak, double bitsPerWeight) {}

    /**
     * One model at one storage.
     *
     * @param setting               "plain" or a {@link Setting#name()}
     * @param perplexityVsPlain     relative to the plain model at the same storage (−1 for the plain rows: n/a)
     * @param quantizationCost      relative to the same model at F32
     * @param agreementPlainSame    fraction of positions whose (de-mapped) argmax equals the plain model's at the same storage
     * @param agreementPlainF32     the same against the plain F32 model
     * @param agreementOwnF32       the same against this model (same key) at F32
     */
    public record Row(
            String setting,
            String dtype,
            int hiddenSize,
            double lambda,
            double keyCondition,
            WeightStats weights,
            double perplexity,
            double perplexityVsPlain,
            double quantizationCost,
            double agreementPlainSame,
            double agreementPlainF32,
            double agreementOwnF32,
            double accuracy,
            double floatActivationsCost,
            double floatActivationsAgreementOwnF32) {}

    public record Report(
            String date,
            String model,
            String fingerprint,
            int hiddenSize,
            int layers,
            int intermediateSize,
            int vocabSize,
            int tokens,
            int context,
            int calibrationTokens,
            String seed,
            List<Row> rows) {

        public Row find(String setting, String dtype) {
            return rows.stream()
                    .filter(r -> r.setting().equals(setting) && r.dtype().equals(dtype))
                    .findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("no row " + setting + " " + dtype));
        }
    }

    private QuantExperiment() {}

    /**
     * The standard sweep: the exact orthogonal key, noise off and Veil's defaults at each λ (default h), and both at
     * h = 128 (λ default).
     */
    public static List<Setting> standardSettings(int d) {
        AloePriParams defaults = AloePriParams.defaults(d);
        AloePriParams quiet = noiseOff(defaults);
        List<Setting> out = new ArrayList<>();
        // the exact key (orthogonal, no expansion, no block permutation): rotation alone, no conditioning
        out.add(new Setting(
                "noise off, orthogonal key (λ 1e-9, h 0)",
                false,
                quiet.exact().withLambda(1e-9).withExpansion(0)));
        for (double l : LAMBDAS)
            out.add(new Setting(name("noise off", l, quiet.expansion()), false, quiet.withLambda(l)));
        for (double l : LAMBDAS)
            out.add(new Setting(name("Veil defaults", l, defaults.expansion()), true, defaults.withLambda(l)));
        if (defaults.expansion() != 128) {
            out.add(new Setting(name("noise off", defaults.lambda(), 128), false, quiet.withExpansion(128)));
            out.add(new Setting(name("Veil defaults", defaults.lambda(), 128), true, defaults.withExpansion(128)));
        }
        return out;
    }

    /** {@code p} without any noise (embedding, head, FFN): the key and κ alone. */
    static AloePriParams noiseOff(AloePriParams p) {
        return p.withNoise(0, 0).withFfn(0, 0, p.split());
    }

    private static String name(String kind, double lambda, int h) {
        return String.format(Locale.ROOT, "%s, λ %s, h %d", kind, trim(lambda), h);
    }

    static String trim(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }

    /** Runs {@code settings} on the plain model in {@code modelDir} over held-out ids {@code tokens}. */
    public static Report run(
            Path modelDir,
            int[] tokens,
            AccuracyExperiment.Settings settings,
            List<Setting> sweep,
            Consumer<String> log)
            throws IOException {
        try (AccuracyExperiment e = AccuracyExperiment.open(modelDir, tokens, settings, log)) {
            ModelConfig c = e.config();
            List<Row> rows = new ArrayList<>();
            NextTokenScores plainF32 = e.plainScores(DType.F32);
            for (DType t : DTYPES) {
                NextTokenScores s = e.plainScores(t);
                NextTokenScores lin = t.isQuantized() ? e.plainScores(t, Batching.LINEAR) : s;
                Row r = new Row(
                        "plain",
                        t.name(),
                        c.hiddenSize(),
                        0,
                        1,
                        stats(c, e.plain(), t),
                        s.perplexity(),
                        -1,
                        s.perplexity() / plainF32.perplexity() - 1,
                        1,
                        NextTokenScores.matching(s.argmax(), plainF32.argmax()),
                        NextTokenScores.matching(s.argmax(), plainF32.argmax()),
                        s.accuracy(),
                        lin.perplexity() / plainF32.perplexity() - 1,
                        NextTokenScores.matching(lin.argmax(), plainF32.argmax()));
                rows.add(r);
                log.accept(line(r));
            }
            for (Setting setting : sweep) {
                ModelObfuscator obfuscator = e.obfuscator(setting.params());
                ModelConfig oc = obfuscator.obfuscatedConfig();
                VocabPermutation tau = obfuscator.permutation();
                Weights obfuscated = InMemoryModel.obfuscate(obfuscator, e.plain());
                int[] ownF32 = null;
                double ownF32Perplexity = 0;
                for (DType t : DTYPES) {
                    Weights stored = AccuracyExperiment.stored(oc, obfuscated, t);
                    NextTokenScores s = e.obfuscatedScores(oc, stored, tau, Batching.FASTEST);
                    NextTokenScores lin = t.isQuantized() ? e.obfuscatedScores(oc, stored, tau, Batching.LINEAR) : s;
                    int[] predicted = tau.deobfuscate(s.argmax());
                    if (t == DType.F32) {
                        ownF32 = predicted;
                        ownF32Perplexity = s.perplexity();
                    }
                    NextTokenScores same = e.plainScores(t);
                    Row r = new Row(
                            setting.name(),
                            t.name(),
                            oc.hiddenSize(),
                            setting.params().lambda(),
                            obfuscator.keys().condition(),
                            stats(oc, obfuscated, t),
                            s.perplexity(),
                            s.perplexity() / same.perplexity() - 1,
                            s.perplexity() / ownF32Perplexity - 1,
                            NextTokenScores.matching(predicted, same.argmax()),
                            NextTokenScores.matching(predicted, plainF32.argmax()),
                            NextTokenScores.matching(predicted, ownF32),
                            NextTokenScores.matching(predicted, same.target()),
                            lin.perplexity() / ownF32Perplexity - 1,
                            NextTokenScores.matching(tau.deobfuscate(lin.argmax()), ownF32));
                    rows.add(r);
                    log.accept(line(r));
                }
            }
            return new Report(
                    LocalDateTime.now().withNano(0).toString(),
                    modelDir.toAbsolutePath().normalize().getFileName().toString(),
                    ModelFingerprint.of(e.plain()),
                    c.hiddenSize(),
                    c.numLayers(),
                    c.intermediateSize(),
                    c.vocabSize(),
                    plainF32.positions(),
                    settings.context(),
                    settings.calibrationTokens(),
                    settings.seed(),
                    rows);
        }
    }

    /** Tensor groups quantized one at a time by {@link #roles}: a label and the HF name fragments it covers. */
    public static final List<List<String>> ROLE_GROUPS = List.of(
            List.of("q_proj", "k_proj"),
            List.of("v_proj"),
            List.of("o_proj"),
            List.of("gate_proj", "up_proj"),
            List.of("down_proj"),
            List.of("embed_tokens"),
            List.of("lm_head"));

    /** Stored as a float type (BF16, F16), the norm weights (κ·1 once obfuscated) round too: one more group. */
    static final List<String> NORMS = List.of("norm.weight");

    /**
     * One group of tensors quantized alone (the rest F32).
     *
     * @param cost          perplexity over the same model at F32
     * @param agreementOwnF32 de-mapped argmax equals the same model's at F32
     */
    public record RoleCost(String setting, String dtype, String group, double cost, double agreementOwnF32) {}

    /**
     * Where a model's quantization cost comes from: for the plain model and each of {@code sweep}, each {@link
     * #ROLE_GROUPS} group quantized to {@code dtype} alone. The plain model's tied embedding is its head too.
     */
    public static List<RoleCost> roles(
            Path modelDir,
            int[] tokens,
            AccuracyExperiment.Settings settings,
            List<Setting> sweep,
            DType dtype,
            Consumer<String> log)
            throws IOException {
        try (AccuracyExperiment e = AccuracyExperiment.open(modelDir, tokens, settings, log)) {
            List<RoleCost> out = new ArrayList<>();
            NextTokenScores plainF32 = e.plainScores(DType.F32);
            List<List<String>> groups = new ArrayList<>(ROLE_GROUPS);
            if (!dtype.isQuantized()) {
                groups.add(NORMS);
                groups.add(List.of("")); // every tensor: the whole cost, beside its parts
            }
            for (List<String> group : groups) {
                if (!e.plain().names().stream().anyMatch(n -> group.stream().anyMatch(n::contains))) continue;
                NextTokenScores s = NextTokenScores.of(
                        new Transformer(new LocalLinearBackend(
                                e.config(),
                                AccuracyExperiment.stored(
                                        e.config(),
                                        e.plain(),
                                        dtype,
                                        n -> group.stream().anyMatch(n::contains)),
                                Parallel.shared())),
                        tokens,
                        settings.context());
                out.add(role(
                        log,
                        "plain",
                        dtype,
                        group,
                        s.perplexity() / plainF32.perplexity() - 1,
                        NextTokenScores.matching(s.argmax(), plainF32.argmax())));
            }
            for (Setting setting : sweep) {
                ModelObfuscator obfuscator = e.obfuscator(setting.params());
                ModelConfig oc = obfuscator.obfuscatedConfig();
                VocabPermutation tau = obfuscator.permutation();
                Weights obfuscated = InMemoryModel.obfuscate(obfuscator, e.plain());
                NextTokenScores f32 = e.obfuscatedScores(oc, obfuscated, tau, Batching.FASTEST);
                for (List<String> group : groups) {
                    NextTokenScores s = e.obfuscatedScores(
                            oc,
                            AccuracyExperiment.stored(
                                    oc, obfuscated, dtype, n -> group.stream().anyMatch(n::contains)),
                            tau,
                            Batching.FASTEST);
                    out.add(role(
                            log,
                            setting.name(),
                            dtype,
                            group,
                            s.perplexity() / f32.perplexity() - 1,
                            NextTokenScores.matching(s.argmax(), f32.argmax())));
                }
            }
            return out;
        }
    }

    private static RoleCost role(
            Consumer<String> log, String setting, DType dtype, List<String> group, double cost, double agreement) {
        String label = group.equals(List.of("")) ? "all tensors" : String.join("+", group);
        RoleCost r = new RoleCost(setting, dtype.name(), label, cost, agreement);
        log.accept(String.format(
                Locale.ROOT,
                "%s, %s only %s: perplexity %+.2f%%, agreement with own F32 %.2f%%",
                setting,
                r.group(),
                dtype,
                100 * cost,
                100 * agreement));
        return r;
    }

    /** Writes {@code aloepri-quant-roles.json} and {@code .md}; returns the markdown's path. */
    public static Path writeRoles(List<RoleCost> roles, String model, Path dir) throws IOException {
        Files.createDirectories(dir);
        JSON.writeValue(dir.resolve("aloepri-quant-roles.json").toFile(), roles);
        StringBuilder b = new StringBuilder("# Where the quantization cost comes from (" + model + ")\n\n");
        b.append("One group of tensors quantized (as `veil convert` would store it), every other tensor F32;"
                + " perplexity and next-token agreement against the same model (same key) at F32. The plain model's"
                + " embedding is tied: it is its head too.\n\n");
        b.append(new MarkdownTable<RoleCost>()
                .left("model", RoleCost::setting)
                .left("storage", r -> storage(r.dtype()))
                .left("quantized", RoleCost::group)
                .right("perplexity", r -> f("%+.2f%%", 100 * r.cost()))
                .right("agreement with own F32", r -> f("%.2f%%", 100 * r.agreementOwnF32()))
                .render(roles));
        Path md = dir.resolve("aloepri-quant-roles.md");
        Files.writeString(md, b.toString());
        return md;
    }

    /** The storage's name in the reports: Q4_K rows are llama-quantize's Q4_K_M mix. */
    private static String storage(String dtype) {
        return dtype.equals("Q4_K") ? "Q4_K_M" : dtype;
    }

    private static String line(Row r) {
        return String.format(
                Locale.ROOT,
                "%s %s: cond(B) %.1f, perplexity %.3f (quantization %+.2f%%), agreement with plain %s %.2f%%,"
                        + " layer error %.4f",
                r.setting(),
                r.dtype(),
                r.keyCondition(),
                r.perplexity(),
                100 * r.quantizationCost(),
                r.dtype(),
                100 * r.agreementPlainSame(),
                r.weights().layerError());
    }

    /** What storing {@code w} (of a model shaped {@code c}) as {@code dtype} does to its 2-D weights. */
    static WeightStats stats(ModelConfig c, Weights w, DType dtype) {
        Weights q = AccuracyExperiment.stored(c, w, dtype);
        String embed = TensorRole.EMBED.hf();
        String head = w.contains(TensorRole.LM_HEAD.hf()) ? TensorRole.LM_HEAD.hf() : embed;
        double[] layer = new double[2];
        double peaks = 0, bits = 0;
        long blocks = 0, elements = 0;
        for (String name : w.names()) {
            Tensor t = w.get(name);
            if (t.rank() != 2) continue;
            Tensor s = q.get(name);
            bits += 8.0 * s.data().byteSize();
            elements += t.size();
            if (name.equals(embed) || name.equals(head)) continue;
            float[] a = t.toFloats(), b = s.toFloats();
            accumulate(a, b, layer);
            for (int k = 0; k + 32 <= a.length; k += 32) {
                double max = 0, sq = 0;
                for (int i = k; i < k + 32; i++) {
                    max = Math.max(max, Math.abs(a[i]));
                    sq += (double) a[i] * a[i];
                }
                if (sq > 0) {
                    peaks += max / Math.sqrt(sq / 32);
                    blocks++;
                }
            }
        }
        return new WeightStats(
                Math.sqrt(layer[0] / layer[1]),
                error(w.get(embed), q.get(embed)),
                error(w.get(head), q.get(head)),
                peaks / blocks,
                bits / elements);
    }

    /** acc[0] += ‖a − b‖², acc[1] += ‖a‖². */
    private static void accumulate(float[] a, float[] b, double[] acc) {
        for (int i = 0; i < a.length; i++) {
            double d = (double) a[i] - b[i];
            acc[0] += d * d;
            acc[1] += (double) a[i] * a[i];
        }
    }

    private static double error(Tensor plain, Tensor stored) {
        double[] acc = new double[2];
        accumulate(plain.toFloats(), stored.toFloats(), acc);
        return Math.sqrt(acc[0] / acc[1]);
    }

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** Writes {@code aloepri-quant.json} and {@code aloepri-quant.md} into {@code dir}; returns the markdown's path. */
    public static Path write(Report r, Path dir) throws IOException {
        Files.createDirectories(dir);
        JSON.writeValue(dir.resolve("aloepri-quant.json").toFile(), r);
        Path md = dir.resolve("aloepri-quant.md");
        Files.writeString(md, markdown(r));
        return md;
    }

    static String markdown(Report r) {
        StringBuilder b = new StringBuilder();
        b.append("# AloePri × quantization on ").append(r.model()).append("\n\n");
        b.append(String.format(
                Locale.ROOT,
                "- model: d = %d, %d layers, FFN %d, vocabulary %d; fingerprint %s%n",
                r.hiddenSize(),
                r.layers(),
                r.intermediateSize(),
                r.vocabSize(),
                r.fingerprint()));
        b.append(String.format(
                Locale.ROOT,
                "- held-out text: %d scored tokens, windows of %d; κ calibrated on %d random ids; seed \"%s\"; run %s%n",
                r.tokens(),
                r.context(),
                r.calibrationTokens(),
                r.seed(),
                r.date()));
        b.append(
                "- storage: F32, and Q8_0 / Q4_K_M as `veil convert --dtype q8_0|q4_k` writes them (per-tensor types and"
                        + " fallbacks of llama-quantize); run on Veil's engine, activations quantized per block as llama.cpp does\n");
        b.append("- *vs plain*: perplexity over the plain model at the same storage; *quant cost*: over the same model"
                + " (same key) at F32; agreement: de-mapped argmax equals the plain model's at the same storage, or this"
                + " model's own at F32\n");
        b.append("- cond(B): condition number of the key's B = U + λV (V Gaussian); 1 for the plain model\n");
        b.append(
                "- *float act.*: the same quantized weights dequantized and multiplied with float activations"
                        + " (`MatMul.Batching.LINEAR`, Talaria's cloud path): the weights' own share of the quantization cost\n");
        b.append(
                "- weights: *error* ‖W − Q(W)‖/‖W‖ over the per-layer matrices (embedding, head); *peak* mean max|w|/rms"
                        + " of their 32-blocks; *bits* per 2-D weight\n\n");
        b.append(new MarkdownTable<Row>()
                .left("model", Row::setting)
                .left("storage", row -> storage(row.dtype()))
                .right("hidden", row -> f("%d", row.hiddenSize()))
                .right("cond(B)", row -> f("%.1f", row.keyCondition()))
                .right("bits", row -> f("%.2f", row.weights().bitsPerWeight()))
                .right("layer error", row -> f("%.4f", row.weights().layerError()))
                .right(
                        "embed / head error",
                        row -> f(
                                "%.4f / %.4f",
                                row.weights().embeddingError(), row.weights().headError()))
                .right("peak", row -> f("%.2f", row.weights().blockPeak()))
                .right("perplexity", row -> f("%.3f", row.perplexity()))
                .right(
                        "vs plain",
                        row -> row.perplexityVsPlain() < 0 && row.setting().equals("plain")
                                ? "—"
                                : f("%+.2f%%", 100 * row.perplexityVsPlain()))
                .right("quant cost", row -> f("%+.2f%%", 100 * row.quantizationCost()))
                .right("agree plain same", row -> f("%.2f%%", 100 * row.agreementPlainSame()))
                .right("agree own F32", row -> f("%.2f%%", 100 * row.agreementOwnF32()))
                .right("float act. cost", row -> f("%+.2f%%", 100 * row.floatActivationsCost()))
                .right("float act. agree own F32", row -> f("%.2f%%", 100 * row.floatActivationsAgreementOwnF32()))
                .render(r.rows()));
        return b.toString();
    }
}
