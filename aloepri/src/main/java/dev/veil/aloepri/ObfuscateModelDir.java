package dev.veil.aloepri;

import dev.veil.aloepri.key.KeyStream;
import dev.veil.model.DType;
import dev.veil.model.ModelConfig;
import dev.veil.model.Records;
import dev.veil.model.Tensor;
import dev.veil.model.TensorSink;
import dev.veil.model.TensorSpec;
import dev.veil.model.safetensors.SafetensorsWeights;
import dev.veil.model.safetensors.ShardedSafetensorsWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Obfuscates a Hugging Face model directory into a new one and writes the secret key file: what
 * {@code veil obfuscate} runs. The output is built in a temporary sibling directory and renamed into place only
 * when complete, so a failure (a full disk, a bad tensor) leaves neither a half-written model nor a key.
 */
public final class ObfuscateModelDir {

    /** Files copied unchanged: the public tokenizer (its vocabulary is public; τ is the secret) and generation settings. */
    static final List<String> COPIED =
            List.of("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "generation_config.json");

    private static final long SHARD_BYTES = 2L << 30;

    /**
     * @param seed        any text for a reproducible obfuscation, or null for a fresh random key
     * @param dtype       storage type of the output, or null to keep the plain model's
     * @param passphrase  encrypts the key file when non-null
     * @param calibrationTokens κ is calibrated on the plain model's activations over this many random ids;
     *                    0 keeps the paper's Gaussian estimate
     * @param gguf        also export the obfuscated model to this GGUF file (llama.cpp), or null
     * @param onWritten   told after each obfuscated tensor (progress)
     * @param noiseText   public calibration text (token ids) the activation-aware W_down noise is shaped on; needed
     *                    only by that profile
     */
    public record Request(
            Path modelDir,
            Path outDir,
            Path keyFile,
            AloePriParams params,
            String seed,
            DType dtype,
            char[] passphrase,
            int calibrationTokens,
            Path gguf,
            Consumer<TensorSpec> onWritten,
            int[] noiseText) {

        public static final int DEFAULT_CALIBRATION_TOKENS = 128;

        public Request {
            if (calibrationTokens < 0)
                throw new IllegalArgumentException("calibration tokens must be >= 0, got " + calibrationTokens);
            if (params.ffnNoise() == FfnNoiseProfile.ACTIVATION
                    && params.alphaDown() > 0
                    && (noiseText == null || noiseText.length == 0))
                throw new IllegalArgumentException(
                        "the activation FFN noise profile needs public calibration text to measure the activations on");
        }

        /** The activation profile's context window over {@code noiseText}. */
        public static final int NOISE_CONTEXT = 256;

        /** Defaults: a fresh random key, the plain model's dtype, no passphrase, κ calibrated, no GGUF. */
        public static Request of(Path modelDir, Path outDir, Path keyFile, AloePriParams params) {
            return new Request(
                    modelDir, outDir, keyFile, params, null, null, null, DEFAULT_CALIBRATION_TOKENS, null, null, null);
        }

        public Request withSeed(String s) {
            return Records.with(this, "seed", s);
        }

        public Request withDtype(DType d) {
            return Records.with(this, "dtype", d);
        }

        public Request withCalibrationTokens(int n) {
            return Records.with(this, "calibrationTokens", n);
        }

        public Request withGguf(Path file) {
            return Records.with(this, "gguf", file);
        }
    }

    private ObfuscateModelDir() {}

    /** Obfuscates {@code r.modelDir()} into {@code r.outDir()} and writes {@code r.keyFile()}; returns the key. */
    public static AloePriKey run(Request r) throws IOException {
        return run(r, null);
    }

    /**
     * As {@link #run(Request)}; with a {@code budget}, {@code r.params()}' noise is first scaled to meet it
     * ({@link NoiseBudget}, with this run's key), and the model and key file get the scaled parameters.
     */
    public static AloePriKey run(Request r, NoiseBudget.Target budget) throws IOException {
        if (Files.exists(r.outDir()))
            throw new FileAlreadyExistsException(r.outDir() + ": output directory already exists; choose a new one");
        if (Files.exists(r.keyFile()))
            throw new FileAlreadyExistsException(r.keyFile() + ": key file already exists; refusing to overwrite it");
        if (r.gguf() != null && Files.exists(r.gguf()))
            throw new FileAlreadyExistsException(r.gguf() + ": GGUF file already exists; choose a new name");
        ModelConfig config = ModelConfig.read(r.modelDir());
        Set<Integer> fixed = SpecialTokens.read(r.modelDir(), config);
        Path out = r.outDir().toAbsolutePath();
        Path temp = partial(out);
        Path ggufTemp = r.gguf() == null ? null : partial(r.gguf().toAbsolutePath());
        try (SafetensorsWeights plain = SafetensorsWeights.open(r.modelDir())) {
            DType dtype = r.dtype() != null
                    ? r.dtype()
                    : plain.get("model.embed_tokens.weight").dtype();
            KeyStream master = r.seed() == null ? KeyStream.fresh() : KeyStream.fromSeed(r.seed());
            AloePriParams params = r.params();
            FfnActivations activations = params.ffnNoise() == FfnNoiseProfile.ACTIVATION && params.alphaDown() > 0
                    ? FfnActivations.measure(config, plain, r.noiseText(), Request.NOISE_CONTEXT)
                    : null;
            if (budget != null) {
                NoiseBudget.Result b = NoiseBudget.calibrate(
                        config, plain, params, fixed, master, dtype, r.calibrationTokens(), activations, budget);
                budget.log().accept(b.summary(budget.budget()));
                params = b.params();
            }
            ModelObfuscator obfuscator = ModelObfuscator.calibrated(
                    config, plain, params, fixed, master, dtype, r.calibrationTokens(), activations);
            ModelFingerprint outPrint = new ModelFingerprint();
            deleteRecursively(temp);
            List<TensorSpec> specs = obfuscator.outputSpecs();
            try (ShardedSafetensorsWriter writer =
                    ShardedSafetensorsWriter.create(temp, specs, Map.of("format", "pt"), SHARD_BYTES)) {
                obfuscator.write(plain, observing(writer, outPrint, r.onWritten()));
            } catch (IOException e) { // a full disk says only "No space left on device"
                throw new IOException("writing the obfuscated model to " + temp + ": " + e.getMessage(), e);
            }
            obfuscator.obfuscatedConfig().write(temp);
            for (String f : COPIED) {
                Path src = r.modelDir().resolve(f);
                if (Files.exists(src)) Files.copy(src, temp.resolve(f));
            }
            if (ggufTemp != null) {
                try {
                    ObfuscatedGguf.write(temp, ggufTemp, dtype);
                } catch (IOException e) {
                    throw new IOException("writing the GGUF " + r.gguf() + ": " + e.getMessage(), e);
                }
            }
            AloePriKey key = new AloePriKey(
                    params,
                    config.architecture().modelType,
                    config.hiddenSize(),
                    obfuscator.obfuscatedConfig().hiddenSize(),
                    obfuscator.permutation(),
                    List.copyOf(fixed),
                    ModelFingerprint.of(plain),
                    outPrint.hex(),
                    obfuscator.kappa(),
                    Instant.now().toString());
            Files.move(temp, out, StandardCopyOption.ATOMIC_MOVE);
            try {
                if (ggufTemp != null) Files.move(ggufTemp, r.gguf(), StandardCopyOption.ATOMIC_MOVE);
                KeyFile.write(r.keyFile(), key, r.passphrase());
            } catch (IOException | RuntimeException e) {
                cleanUp(e, out, ggufTemp == null ? null : r.gguf()); // a model without its key is useless
                throw e;
            }
            return key;
        } catch (IOException | RuntimeException e) {
            cleanUp(e, temp, ggufTemp);
            throw e;
        }
    }

    /** Deletes what a failed run wrote; a failure to delete is attached to {@code cause}, never hides it. */
    private static void cleanUp(Exception cause, Path... paths) {
        for (Path p : paths) {
            if (p == null) continue;
            try {
                deleteRecursively(p);
            } catch (IOException | RuntimeException e) {
                cause.addSuppressed(e);
            }
        }
    }

    /** Where {@code target} is built before it is renamed into place: a hidden sibling, so the rename is atomic. */
    private static Path partial(Path target) {
        return target.resolveSibling("." + target.getFileName() + ".partial-"
                + ProcessHandle.current().pid());
    }

    private static TensorSink observing(TensorSink sink, ModelFingerprint print, Consumer<TensorSpec> onWritten) {
        return new TensorSink() {
            @Override
            public void write(Tensor t) throws IOException {
                sink.write(t);
                print.add(t);
                if (onWritten != null) onWritten.accept(TensorSpec.of(t));
            }

            @Override
            public void close() throws IOException {
                sink.close();
            }
        };
    }

    static void deleteRecursively(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            s.sorted(Comparator.reverseOrder()).forEach(x -> {
                try {
                    Files.delete(x);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }
}
