package dev.veil.cli;

import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code --model}, {@code --tokenizer} and {@code --threads} of the commands that run a model here ({@code generate}, {@code eval}). */
final class LocalModelOptions {

    @Option(names = "--model", required = true, description = "HF model directory or .gguf file")
    Path model;

    @Option(names = "--tokenizer", description = "directory with tokenizer.json (default: the model's)")
    Path tokenizerDir;

    @Mixin
    KernelThreads threads;

    LocalModel open() throws IOException {
        return LocalModel.open(model, tokenizerDir, threads.parallel());
    }
}
