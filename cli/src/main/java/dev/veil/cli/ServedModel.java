package dev.veil.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --model} of the services that load a model and serve its products or tokens ({@code serve}, {@code talaria cloud}). */
final class ServedModel {

    @Option(
            names = "--model",
            required = true,
            paramLabel = "DIR",
            description = "model directory (config.json + safetensors) or .gguf file")
    Path path;
}
