package dev.veil.cli;

import dev.veil.model.DType;
import dev.veil.model.HfModelWriter;
import dev.veil.model.ModelFiles;
import dev.veil.model.ModelTensors;
import dev.veil.model.gguf.GgufExport;
import dev.veil.model.gguf.GgufModel;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code veil convert}: Hugging Face dir <-> GGUF (llama.cpp), in F32, F16 or BF16, or to a Q8_0 / Q4_K_M GGUF. */
@Command(name = "convert", description = "Convert a model between a Hugging Face directory and a llama.cpp GGUF file.")
public final class ConvertCommand implements Callable<Integer> {
    enum Target {
        gguf,
        hf
    }

    @Option(
            names = "--model",
            required = true,
            paramLabel = "PATH",
            description = "source: Hugging Face model directory or .gguf file")
    Path model;

    @Option(
            names = "--to",
            required = true,
            paramLabel = "gguf|hf",
            description = "target format: ${COMPLETION-CANDIDATES}")
    Target to;

    @Option(names = "--out", required = true, paramLabel = "PATH", description = "output .gguf file or model directory")
    Path out;

    @Option(
            names = "--dtype",
            paramLabel = "f32|f16|bf16|q8_0|q4_k",
            description = "weight dtype of the output (default: "
                    + "the source's; a quantized GGUF's file type, dequantized to f32 for --to hf). q8_0 and q4_k (GGUF only) quantize "
                    + "as llama-quantize's Q8_0 and Q4_K_M do")
    String dtype;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        try (ModelFiles m = ModelFiles.open(model)) {
            DType d = dtype != null
                    ? parseDtype(dtype)
                    : m.gguf() != null && GgufModel.fileDtype(m.gguf()).isQuantized()
                            ? GgufModel.fileDtype(m.gguf())
                            : m.weights().get(ModelTensors.EMBED).dtype();
            if (d.isQuantized() && to == Target.hf) {
                if (dtype != null)
                    throw new IllegalArgumentException("--dtype " + dtype
                            + " is for --to gguf: a Hugging Face checkpoint stores f32, f16 or bf16");
                d = DType.F32;
            }
            switch (to) {
                case gguf -> GgufExport.write(m, out, d);
                case hf -> HfModelWriter.write(m, out, d);
            }
            var o = spec.commandLine().getOut();
            o.printf(
                    "wrote %s (%s, %s, %d layers, %s)%n",
                    out, to, d, m.config().numLayers(), m.config().architecture().hfClass);
            o.flush();
        }
        return 0;
    }

    private static DType parseDtype(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "f32", "float32" -> DType.F32;
            case "f16", "float16" -> DType.F16;
            case "bf16", "bfloat16" -> DType.BF16;
            case "q8_0" -> DType.Q8_0;
            case "q4_k", "q4_k_m" -> DType.Q4_K;
            default ->
                throw new IllegalArgumentException(
                        "unsupported --dtype '" + s + "' (use f32, f16, bf16, q8_0 or q4_k)");
        };
    }
}
