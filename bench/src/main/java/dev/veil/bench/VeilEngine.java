package dev.veil.bench;

import dev.veil.engine.Generation;
import dev.veil.engine.GenerationOptions;
import dev.veil.engine.Generator;
import dev.veil.engine.SamplingParams;
import dev.veil.engine.Transformer;
import dev.veil.engine.backend.LocalLinearBackend;
import dev.veil.engine.kernel.Parallel;
import dev.veil.model.ModelFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Set;

/**
 * Veil's own engine, driven the same way as the anchors: last-position logits, greedy tokens and timings from token
 * ids, on a model directory (or GGUF) opened with {@link ModelFiles}, with its own pool of {@code threads} threads.
 */
public final class VeilEngine implements EngineBench.Contender {
    private final ModelFiles files;
    private final Parallel parallel;
    private final Transformer model;
    private final Generator generator;

    private VeilEngine(ModelFiles files, int threads) {
        this.files = files;
        this.parallel = new Parallel(threads);
        this.model = new Transformer(new LocalLinearBackend(files.config(), files.weights(), parallel), parallel);
        this.generator = new Generator(model);
    }

    public static VeilEngine open(Path model, int threads) throws IOException {
        ModelFiles files = ModelFiles.open(model);
        try {
            return new VeilEngine(files, threads);
        } catch (RuntimeException e) {
            files.close();
            throw e;
        }
    }

    public Transformer transformer() {
        return model;
    }

    @Override
    public String name() {
        return "Veil";
    }

    /** Logits at the last position of {@code prompt}, run from an empty cache. */
    public float[] lastLogits(int[] prompt) {
        return model.forward(prompt, model.newCache());
    }

    /** {@code n} greedy tokens after {@code prompt}; no stop ids, so EOS does not end it (as in the anchors). */
    public int[] greedy(int[] prompt, int n) {
        return generator
                .generate(prompt, new GenerationOptions(n, SamplingParams.GREEDY, Set.of()))
                .outputIds();
    }

    /** The Generator's own timings: prefill through the first token, then {@code decode} more tokens. */
    @Override
    public double[] time(int[] prompt, int decode) {
        Generation g = generator.generate(prompt, new GenerationOptions(decode + 1, SamplingParams.GREEDY, Set.of()));
        return new double[] {g.timings().prefillNanos() / 1e9, g.timings().decodeNanos() / 1e9};
    }

    @Override
    public void close() {
        model.backend().close();
        parallel.close();
        files.close();
    }
}
