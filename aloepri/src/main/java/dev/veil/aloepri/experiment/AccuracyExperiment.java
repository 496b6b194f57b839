package dev.veil.aloepri.experiment;

import dev.veil.aloepri.AloePriParams;
import dev.veil.aloepri.ModelFingerprint;
import dev.veil.aloepri.ModelObfuscator;
import dev.veil.aloepri.SpecialTokens;
import dev.veil.aloepri.VocabPermutation;
import dev.veil.aloepri.key.KeyStream;
import dev.veil.engine.Transformer;
import dev.veil.engine.backend.LocalLinearBackend;
import dev.veil.engine.kernel.MatMul.Batching;
import dev.veil.engine.kernel.Parallel;
import dev.veil.model.DType;
import dev.veil.model.InMemoryWeights;
import dev.veil.model.ModelConfig;
import dev.veil.model.Tensor;
import dev.veil.model.TensorOps;
import dev.veil.model.TensorRole;
import dev.veil.model.Weights;
import dev.veil.model.gguf.GgufExport;
import dev.veil.model.safetensors.SafetensorsWeights;
import java.io.IOException;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * The accuracy price of AloePri's parameters on one model (the analogue of the paper's Figures 3–5): the model is
 * obfuscated in memory once per sweep point and run on Veil's engine over held-out text, and each point reports the
 * held-out perplexity (its increase over the plain model) and how often its next-token prediction, mapped back
 * through τ⁻¹, agrees with the plain model's.
 *
 * <p>One axis moves at a time around the defaults: α_e, α_h, λ (weights stored as F32 and as BF16) and h. Every
 * point uses the same seed, so two points differ by their parameter, not by a fresh draw of every key. Perplexity is
 * the same over obfuscated ids as over plaintext ids (τ is a bijection on inputs and targets alike), so the obfuscated
 * model is scored on τ(text) and compared position by position with the plain model on the text.
 */
public final class AccuracyExperiment implements AutoCloseable {

    /** A swept parameter: its name in files, its label in plots, and its values. */
    public enum Axis {
        ALPHA_E("alpha_e", "α_e (embedding noise)", false, 0, 0.25, 0.5, 1, 1.5),
        ALPHA_H("alpha_h", "α_h (head noise)", false, 0, 0.1, 0.2, 0.5),
        LAMBDA("lambda", "λ (key distance from orthogonal)", true, 0.1, 0.3, 1, 3),
        H("h", "h (hidden expansion; hidden = d + 2h)", false, 0, 16, 64, 128);

        public final String key;
        public final String label;
        public final boolean logScale;
        final double[] values;

        Axis(String key, String label, boolean logScale, double... values) {
            this.key = key;
            this.label = label;
            this.logScale = logScale;
            this.values = values;
        }

        public double[] points() {
            return values.clone();
        }

        AloePriParams apply(AloePriParams p, double v) {
            return switch (this) {
                case ALPHA_E -> p.withNoise(v, p.alphaH());
                case ALPHA_H -> p.withNoise(p.alphaE(), v);
                case LAMBDA -> p.withLambda(v);
                case H -> p.withExpansion((int) v);
            };
        }
    }

    /**
     * One sweep point: {@code axis} at {@code value}, everything else at the defaults, weights stored as {@code dtype};
     * with {@code noise} false the embedding and head noise are off too, which shows λ's and h's own effect (the κ/RMSNorm
     * error and precision) instead of burying it under the noise's.
     */
    public record Point(Axis axis, double value, DType dtype, boolean noise) {
        /** The result's axis name: the axis key, with "/no-noise" for the noise-free series. */
        public String key() {
            return key(axis, noise);
        }

        public static String key(Axis axis, boolean noise) {
            return noise ? axis.key : axis.key + "/no-noise";
        }

        AloePriParams params(AloePriParams defaults) {
            return axis.apply(noise ? defaults : defaults.withNoise(0, 0), value);
        }
    }

    /**
     * @param context           window length of the evaluation (each window from an empty cache)
     * @param calibrationTokens κ calibration, as {@code veil obfuscate --calibration-tokens}
     */
    public record Settings(int context, int calibrationTokens, String seed) {
        public static final int DEFAULT_CONTEXT = 256;

        public Settings {
            if (context < 2) throw new IllegalArgumentException("context must be at least 2, got " + context);
            if (calibrationTokens < 0)
                throw new IllegalArgumentException("calibration tokens must be >= 0, got " + calibrationTokens);
        }
    }

    /** The plain model on the held-out text, with its weights stored as {@code dtype}. */
    public record Baseline(String dtype, double perplexity, double accuracy) {}

    /**
     * One measured point. {@code axis} is a {@link Point#key()}, "defaults" for the all-defaults point, or "exact" for
     * the defaults without noise or block permutation (the κ/RMSNorm error alone).
     *
     * @param perplexityIncrease relative to the plain model stored at the same dtype
     * @param agreement          fraction of positions whose de-mapped argmax equals the plain model's
     * @param accuracy           fraction of positions whose de-mapped argmax is the actual next token
     */
    public record Result(
            String axis,
            double value,
            String dtype,
            AloePriParams params,
            double perplexity,
            double perplexityIncrease,
            double agreement,
            double accuracy,
            double seconds) {}

    /** @param fingerprint the plain model's {@link ModelFingerprint}: which weights these numbers belong to */
    public record Report(
            String date,
            String model,
            String fingerprint,
            String architecture,
            int hiddenSize,
            int layers,
            int vocabSize,
            long parameters,
            int tokens,
            int context,
            int calibrationTokens,
            String seed,
            AloePriParams defaults,
            List<Baseline> plain,
            List<Result> results) {

        /** The result of {@code axis} at {@code value} and {@code dtype}. */
        public Result find(String axis, double value, String dtype) {
            return results.stream()
                    .filter(r -> r.axis().equals(axis)
                            && r.value() == value
                            && r.dtype().equals(dtype))
                    .findFirst()
                    .orElseThrow(
                            () -> new IllegalArgumentException("no result for " + axis + "=" + value + " " + dtype));
        }
    }

    /** Every sweep point, one axis at a time; λ at F32 and BF16, the others at F32; λ and h also without noise. */
    public static List<Point> grid() {
        List<Point> points = new ArrayList<>();
        for (boolean noise : new boolean[] {true, false})
            for (Axis axis : Axis.values()) {
                if (!noise && (axis == Axis.ALPHA_E || axis == Axis.ALPHA_H)) continue;
                for (double v : axis.values) points.add(new Point(axis, v, DType.F32, noise));
                if (axis == Axis.LAMBDA) for (double v : axis.values) points.add(new Point(axis, v, DType.BF16, noise));
            }
        return points;
    }

    private final ModelConfig config;
    private final Set<Integer> fixed;
    private final Weights plain;
    private final int[] tokens;
    private final Settings settings;
    private final Consumer<String> log;
    /** The plain model's scores with its weights stored as F32 and as BF16. */
    private final Map<DType, NextTokenScores> plainScores = new HashMap<>();
    /** Results by parameters and dtype: the defaults are a point of several axes, measured once. */
    private final Map<String, Result> measured = new HashMap<>();

    private AccuracyExperiment(
            ModelConfig config,
            Set<Integer> fixed,
            Weights plain,
            int[] tokens,
            Settings settings,
            Consumer<String> log) {
        this.config = config;
        this.fixed = fixed;
        this.plain = plain;
        this.tokens = tokens;
        this.settings = settings;
        this.log = log;
    }

    /** Runs the sweep on the plain model in {@code modelDir} over held-out token ids {@code tokens}. */
    public static Report run(Path modelDir, int[] tokens, Settings settings, Consumer<String> log) throws IOException {
        try (AccuracyExperiment e = open(modelDir, tokens, settings, log)) {
            List<Baseline> baselines = e.baselines();
            AloePriParams defaults = AloePriParams.paper(e.config.hiddenSize());
            List<Result> results = new ArrayList<>();
            for (Point p : grid()) results.add(e.measure(p.key(), p.value(), p.dtype(), p.params(defaults)));
            results.add(e.measure("defaults", 0, DType.F32, defaults));
            results.add(e.measure("defaults", 0, DType.BF16, defaults));
            results.add(e.measure("exact", 0, DType.F32, defaults.exact()));
            long parameters = 0;
            for (String n : e.plain.names()) parameters += e.plain.get(n).size();
            return new Report(
                    LocalDateTime.now().withNano(0).toString(),
                    modelDir.toAbsolutePath().normalize().getFileName().toString(),
                    ModelFingerprint.of(e.plain),
                    e.config.architecture().modelType,
                    e.config.hiddenSize(),
                    e.config.numLayers(),
                    e.config.vocabSize(),
                    parameters,
                    e.plainScores.get(DType.F32).positions(),
                    settings.context(),
                    settings.calibrationTokens(),
                    settings.seed(),
                    defaults,
                    baselines,
                    results);
        }
    }

    /** The experiment on one model, its weights open until {@link #close()}; call {@link #baselines()} first. */
    static AccuracyExperiment open(Path modelDir, int[] tokens, Settings settings, Consumer<String> log)
            throws IOException {
        ModelConfig config = ModelConfig.read(modelDir);
        for (int id : tokens)
            if (id < 0 || id >= config.vocabSize())
                throw new IllegalArgumentException("held-out token id " + id + " is outside the model's vocabulary of "
                        + config.vocabSize() + " (is the tokenizer the model's?)");
        if (tokens.length < 2)
            throw new IllegalArgumentException("need at least 2 held-out tokens, got " + tokens.length);
        Set<Integer> fixed = SpecialTokens.read(modelDir, config);
        return new AccuracyExperiment(config, fixed, SafetensorsWeights.open(modelDir), tokens, settings, log);
    }

    @Override
    public void close() {
        plain.close();
    }

    /** Scores the plain model (weights as F32 and as BF16): the reference of every point. */
    List<Baseline> baselines() {
        return baselines(List.of(DType.F32, DType.BF16));
    }

    /** Scores the plain model with its weights stored as each of {@code dtypes} ({@link #stored}). */
    List<Baseline> baselines(List<DType> dtypes) {
        List<Baseline> baselines = new ArrayList<>();
        for (DType t : dtypes) {
            NextTokenScores s = plainScores(t);
            baselines.add(new Baseline(t.name(), s.perplexity(), s.accuracy()));
            log.accept(String.format(
                    Locale.ROOT, "plain %s: perplexity %.3f over %d tokens", t, s.perplexity(), s.positions()));
        }
        return baselines;
    }

    /** The plain model's scores with its weights stored as {@code dtype}, computed once. */
    NextTokenScores plainScores(DType dtype) {
        NextTokenScores s = plainScores.get(dtype);
        if (s == null) {
            s = plainScores(dtype, Batching.FASTEST);
            plainScores.put(dtype, s);
        }
        return s;
    }

    /** As {@link #plainScores(DType)}, multiplied the {@code batching} way (not cached). */
    NextTokenScores plainScores(DType dtype, Batching batching) {
        return NextTokenScores.of(engine(config, stored(config, plain, dtype), batching), tokens, settings.context());
    }

    ModelConfig config() {
        return config;
    }

    Weights plain() {
        return plain;
    }

    int[] tokens() {
        return tokens;
    }

    /** The obfuscator of {@code params} with the experiment's seed, κ calibrated; its weights written as F32. */
    ModelObfuscator obfuscator(AloePriParams params) throws IOException {
        return ModelObfuscator.calibrated(
                config,
                plain,
                params,
                fixed,
                KeyStream.fromSeed(settings.seed()),
                DType.F32,
                settings.calibrationTokens(),
                null);
    }

    /** An obfuscated model's scores on τ(text), its weights as given (de-mapping is the caller's). */
    NextTokenScores obfuscatedScores(
            ModelConfig obfuscatedConfig, Weights weights, VocabPermutation tau, Batching batching) {
        return NextTokenScores.of(
                engine(obfuscatedConfig, weights, batching), tau.obfuscate(tokens), settings.context());
    }

    /** One point: obfuscate in memory, score on τ(text), compare with the plain model. */
    Result measure(String axis, double value, DType dtype, AloePriParams params) throws IOException {
        Result r = measured.get(params + "/" + dtype);
        if (r == null) {
            long start = System.nanoTime();
            ModelObfuscator obfuscator = ModelObfuscator.calibrated(
                    config,
                    plain,
                    params,
                    fixed,
                    KeyStream.fromSeed(settings.seed()),
                    dtype,
                    settings.calibrationTokens(),
                    null);
            VocabPermutation tau = obfuscator.permutation();
            NextTokenScores s = NextTokenScores.of(
                    ObfuscationCost.engine(obfuscator.obfuscatedConfig(), InMemoryModel.obfuscate(obfuscator, plain)),
                    tau.obfuscate(tokens),
                    settings.context());
            int[] predicted = tau.deobfuscate(s.argmax());
            NextTokenScores reference = plainScores.get(DType.F32);
            r = new Result(
                    axis,
                    value,
                    dtype.name(),
                    params,
                    s.perplexity(),
                    s.perplexity() / plainScores(dtype).perplexity() - 1,
                    NextTokenScores.matching(predicted, reference.argmax()),
                    NextTokenScores.matching(predicted, reference.target()),
                    (System.nanoTime() - start) / 1e9);
            measured.put(params + "/" + dtype, r);
            log.accept(String.format(
                    Locale.ROOT,
                    "%s=%s %s: perplexity %.3f (%+.2f%%), agreement %.2f%% (%.1fs)",
                    axis,
                    value,
                    dtype,
                    r.perplexity(),
                    100 * r.perplexityIncrease(),
                    100 * r.agreement(),
                    r.seconds()));
        }
        return new Result(
                axis,
                value,
                r.dtype(),
                r.params(),
                r.perplexity(),
                r.perplexityIncrease(),
                r.agreement(),
                r.accuracy(),
                r.seconds());
    }

    private static Transformer engine(ModelConfig config, Weights weights, Batching batching) {
        return new Transformer(new LocalLinearBackend(config, weights, Parallel.shared(), batching));
    }

    /**
     * {@code w} stored as {@code dtype}: every tensor converted to a float type (the weights' own values when they
     * already are), or, for {@link DType#Q8_0} and {@link DType#Q4_K}, quantized exactly as {@code veil convert --dtype}
     * writes the GGUF — each 2-D tensor in the type {@link GgufExport#quantizedType} gives it under its GGUF name (Q4_K_M's
     * Q6_K output and fallbacks for rows that are not whole blocks included), 1-D tensors in F32.
     */
    static Weights stored(ModelConfig c, Weights w, DType dtype) {
        return stored(c, w, dtype, name -> true);
    }

    /**
     * As {@link #stored(ModelConfig, Weights, DType)}, converting only the tensors {@code which} accepts (the rest F32);
     * a quantized type takes only 2-D tensors.
     */
    static Weights stored(ModelConfig c, Weights w, DType dtype, Predicate<String> which) {
        InMemoryWeights m = new InMemoryWeights();
        if (!dtype.isQuantized()) {
            for (String name : w.names()) m.write(TensorOps.convert(w.get(name), which.test(name) ? dtype : DType.F32));
            return m;
        }
        if (dtype != DType.Q8_0 && dtype != DType.Q4_K)
            throw new IllegalArgumentException("quantized storage is Q8_0 or Q4_K (Q4_K_M), not " + dtype);
        Map<String, String> gguf = new HashMap<>();
        for (TensorRole.Entry e : TensorRole.ggufTensors(c)) {
            if (e.role().scope == TensorRole.Scope.EXPERT)
                for (int x = 0; x < c.moe().numExperts(); x++) gguf.put(e.role().hf(e.layer(), x), e.name());
            else gguf.put(e.layer() < 0 ? e.role().hf() : e.role().hf(e.layer()), e.name());
        }
        for (String name : w.names()) {
            Tensor t = w.get(name);
            if (t.rank() != 2 || !which.test(name)) {
                m.write(TensorOps.convert(t, DType.F32));
                continue;
            }
            String g = gguf.get(name);
            if (g == null)
                throw new IllegalArgumentException("tensor " + name + " has no GGUF name for " + c.architecture());
            m.write(TensorOps.convert(t, GgufExport.quantizedType(dtype, c, g, t.cols())));
        }
        return m;
    }
}
