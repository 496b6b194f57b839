package dev.veil.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.engine.backend.LocalLinearBackend;
import dev.veil.engine.kernel.Parallel;
import dev.veil.model.DType;
import dev.veil.model.ModelConfig;
import dev.veil.model.ModelFiles;
import dev.veil.model.Tensor;
import dev.veil.model.Weights;
import dev.veil.model.safetensors.SafetensorsWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The engine on weights memory-mapped from a safetensors file (read in place, at unaligned offsets). */
class ModelFilesEngineTest {

    @Test
    void mappedSafetensorsGiveTheSameLogitsAsInMemoryWeights(@TempDir Path dir) throws Exception {
        ModelConfig c = TestModels.qwen2();
        for (DType dtype : new DType[] {DType.F32, DType.BF16, DType.F16}) {
            Weights w = TestModels.random(c, dtype, 21);
            List<Tensor> tensors = new ArrayList<>();
            for (String name : w.names()) tensors.add(w.get(name));
            Path model = dir.resolve(dtype.name());
            Files.createDirectories(model);
            c.write(model);
            SafetensorsWriter.write(model.resolve("model.safetensors"), tensors, Map.of("format", "pt"));
            int[] prompt = {3, 14, 15, 92, 65, 35, 89};
            float[] expected =
                    new Transformer(new LocalLinearBackend(c, w, Parallel.shared())).forwardAll(prompt, new KvCache(c));
            try (ModelFiles files = ModelFiles.open(model)) {
                Transformer mapped =
                        new Transformer(new LocalLinearBackend(files.config(), files.weights(), Parallel.shared()));
                assertThat(mapped.forwardAll(prompt, new KvCache(files.config())))
                        .as(dtype.name())
                        .containsExactly(expected);
            }
        }
    }
}
