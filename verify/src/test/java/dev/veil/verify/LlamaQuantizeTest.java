package dev.veil.verify;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.model.DType;
import dev.veil.model.ModelFiles;
import dev.veil.model.VeilCache;
import dev.veil.model.gguf.GgufExport;
import dev.veil.model.gguf.GgufFile;
import dev.veil.model.gguf.GgufTensorInfo;
import dev.veil.tokenizer.Tokenizer;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Files quantized by llama.cpp's own {@code llama-quantize} (built from the bundled source into
 * {@code ~/.cache/veil/llama-bin/} by the fixture step) from Veil's F32 GGUF of the bundled model: Veil reads them,
 * picks the same type for every tensor when it quantizes the same model itself (Q8_0; Q4_K_M with its Q6_K, Q5_0 and
 * Q8_0 tensors), writes the same bytes for them, and agrees with llama.cpp on the llama-quantized file as on its own
 * (greedy continuations of the 20 held-out prompts identical, logits within {@link QuantizedLlamaCppTest#TOLERANCE}).
 */
class LlamaQuantizeTest {

    @TempDir
    Path tmp;

    @ParameterizedTest
    @EnumSource(names = {"Q8_0", "Q4_K"})
    void veilReadsAndMatchesLlamaQuantize(DType type) throws Exception {
        Path quantize = VeilCache.require(
                VeilCache.dir(),
                "llama-bin/llama-quantize",
                "llama.cpp's llama-quantize built from the bundled source (scripts/build-llama.sh)");
        Path model = Path.of(System.getProperty("veil.repo", "..")).resolve("models/veil-sotu-qwen2");
        Path f32 = tmp.resolve("f32.gguf"),
                theirs = tmp.resolve("llama-quantize.gguf"),
                ours = tmp.resolve("veil.gguf");
        try (ModelFiles files = ModelFiles.open(model)) {
            GgufExport.write(files, f32, DType.F32);
            GgufExport.write(files, ours, type);
        }
        Process p = new ProcessBuilder(
                        quantize.toString(), f32.toString(), theirs.toString(), type == DType.Q8_0 ? "Q8_0" : "Q4_K_M")
                .redirectErrorStream(true)
                .start();
        String log = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(2, TimeUnit.MINUTES)).isTrue();
        assertThat(p.exitValue()).as("llama-quantize: %s", log).isZero();

        int tensors = 0;
        try (GgufFile a = GgufFile.open(theirs);
                GgufFile b = GgufFile.open(ours)) {
            for (GgufTensorInfo t : a.tensors()) {
                GgufTensorInfo mine = b.tensorInfo(t.name());
                assertThat(mine).as("tensor %s", t.name()).isNotNull();
                assertThat(mine.type()).as("type of %s", t.name()).isEqualTo(t.type());
                MemorySegment x = a.tensor(t.name()).data(),
                        y = b.tensor(t.name()).data();
                assertThat(x.mismatch(y))
                        .as("bytes of %s (%s)", t.name(), t.type())
                        .isEqualTo(-1L);
                tensors++;
            }
            assertThat(b.tensors()).hasSize(tensors);
        }
        List<int[]> prompts = BundledModelLlamaCppTest.heldOutPrompts(Tokenizer.load(model));
        QuantizedLlamaCppTest.assertAgree("llama-quantize " + type, theirs, prompts, true);
    }
}
