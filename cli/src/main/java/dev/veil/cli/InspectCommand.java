package dev.veil.cli;

import dev.veil.model.ModelInfo;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code veil inspect PATH}: architecture, shapes, dtypes, parameter count and metadata of a model or tensor file. */
@Command(
        name = "inspect",
        description =
                "Show a model's architecture, tensors, dtypes, parameter count and metadata (HF dir, .safetensors or .gguf).")
public final class InspectCommand implements Callable<Integer> {
    @Parameters(
            index = "0",
            paramLabel = "PATH",
            description = "Hugging Face model directory, .safetensors file or .gguf file")
    Path path;

    @Option(names = "--json", description = "print JSON instead of text")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        ModelInfo info = ModelInfo.of(path);
        var out = spec.commandLine().getOut();
        out.print(json ? info.toJson().toPrettyString() + "\n" : info.toText());
        out.flush();
        return 0;
    }
}
