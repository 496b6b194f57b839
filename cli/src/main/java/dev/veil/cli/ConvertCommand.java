package dev.veil.cli;

import dev.veil.model.DType;
import dev.veil.model.HfModelWriter;
import dev.veil.model.ModelFiles;
import dev.veil.model.ModelTensors;
import dev.veil.model.gguf.GgufExport;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code veil convert}: Hugging Face dir <-> GGUF (llama.cpp), in F32, F16 or BF16. */
@Command(name = "convert", mixinStandardHelpOptions = true,
        description = "Convert a model between a Hugging Face directory and a llama.cpp GGUF file.")
public final class ConvertCommand implements Callable<Integer> {
    enum Target { gguf, hf }

    @Option(names = "--model", required = true, paramLabel = "PATH", description = "source: Hugging Face model directory or .gguf file")
    Path model;

    @Option(names = "--to", required = true, paramLabel = "gguf|hf", description = "target format: ${COMPLETION-CANDIDATES}")
    Target to;

    @Option(names = "--out", required = true, paramLabel = "PATH", description = "output .gguf file or model directory")
    Path out;

    @Option(names = "--dtype", paramLabel = "f32|f16|bf16", description = "weight dtype of the output (default: the source's)")
    String dtype;

    @Spec CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        try (ModelFiles m = ModelFiles.open(model)) {
            DType d = dtype == null ? m.weights().get(ModelTensors.EMBED).dtype() : parseDtype(dtype);
            switch (to) {
                case gguf -> GgufExport.write(m, out, d);
                case hf -> HfModelWriter.write(m, out, d);
            }
            var o = spec.commandLine().getOut();
            o.printf("wrote %s (%s, %s, %d layers, %s)%n", out, to, d, m.config().numLayers(), m.config().architecture().hfClass);
            o.flush();
        }
        return 0;
    }

    private static DType parseDtype(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "f32", "float32" -> DType.F32;
            case "f16", "float16" -> DType.F16;
            case "bf16", "bfloat16" -> DType.BF16;
            default -> throw new IllegalArgumentException("unsupported --dtype '" + s + "' (use f32, f16 or bf16)");
        };
    }
}
