package dev.veil.cli;

import dev.veil.engine.Transformer;
import dev.veil.engine.Warmup;
import dev.veil.engine.backend.LocalLinearBackend;
import dev.veil.engine.kernel.Parallel;
import dev.veil.model.ModelFiles;
import dev.veil.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

/** A model opened for local inference: its files, its tokenizer and the engine over its weights. */
record LocalModel(ModelFiles files, Tokenizer tokenizer, Transformer transformer, Parallel parallel)
        implements AutoCloseable {

    /**
     * Opens an HF model dir or a GGUF file. The tokenizer comes from {@code tokenizerDir} when given, else from the
     * model dir, else from the GGUF's vocabulary. The model closes {@code parallel} unless it is the shared pool.
     */
    static LocalModel open(Path model, Path tokenizerDir, Parallel parallel) throws IOException {
        ModelFiles files;
        try {
            files = ModelFiles.open(model);
        } catch (IOException | RuntimeException e) {
            if (parallel != Parallel.shared()) parallel.close();
            throw e;
        }
        try {
            // the JIT compiles the kernels on a tiny model while the tokenizer and weights load (docs/warm-start.md)
            int rounds = Integer.getInteger("veil.warmup", WARMUP_ROUNDS);
            Thread warmup = rounds > 0 ? Warmup.start(files.config(), files.weights(), rounds) : null;
            // the tokenizer is built beside the weights' repacking (a GGUF's 151,936 tokens and merges: 0.2-0.3 s);
            // it reads tokenizer.json or the GGUF metadata parsed at opening, never the mapped weights, so the files
            // may be closed on a failure while it runs
            FutureTask<Tokenizer> tokenizer = new FutureTask<>(() -> loadTokenizer(files, tokenizerDir));
            Thread.ofPlatform().name("veil-tokenizer").daemon().start(tokenizer);
            var backend = new LocalLinearBackend(files.config(), files.weights(), parallel);
            if (warmup != null) warmup.join();
            return new LocalModel(files, result(tokenizer), new Transformer(backend, parallel), parallel);
        } catch (IOException | RuntimeException e) {
            files.close();
            if (parallel != Parallel.shared()) parallel.close();
            throw e;
        } catch (InterruptedException e) {
            files.close();
            if (parallel != Parallel.shared()) parallel.close();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while opening the model", e);
        }
    }

    /** The task's tokenizer, or the exception that loading it threw. */
    private static Tokenizer result(FutureTask<Tokenizer> task) throws IOException, InterruptedException {
        try {
            return task.get();
        } catch (ExecutionException e) {
            switch (e.getCause()) {
                case IOException io -> throw io;
                case RuntimeException re -> throw re;
                case Error err -> throw err;
                default -> throw new IOException(e.getCause());
            }
        }
    }

    /** Rounds of {@link Warmup}; {@code -Dveil.warmup=N} changes it, 0 turns it off. */
    static final int WARMUP_ROUNDS = 40;

    private static Tokenizer loadTokenizer(ModelFiles files, Path tokenizerDir) throws IOException {
        if (tokenizerDir != null) return Tokenizer.load(tokenizerDir);
        if (files.tokenizerDir() != null) return Tokenizer.load(files.tokenizerDir());
        if (files.format() == ModelFiles.Format.GGUF) {
            try {
                return Tokenizer.fromGguf(files.gguf().metadata());
            } catch (IllegalArgumentException e) {
                throw new IOException(files.source() + ": " + e.getMessage());
            }
        }
        throw new IOException(files.source() + ": no tokenizer.json in the model directory (give --tokenizer DIR)");
    }

    @Override
    public void close() {
        if (parallel != Parallel.shared()) parallel.close();
        files.close();
    }
}
