package dev.veil.model.gguf;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.veil.model.FuzzFiles;
import dev.veil.model.Tensor;
import java.nio.file.Path;

/**
 * Fuzz target for {@link GgufFile}: any byte string either opens (and then every float tensor it lists can be
 * sliced, every other accessor answers) or fails with one IOException "PATH: problem" — never a runtime exception,
 * an error or a hang. Regression mode runs the corpus in {@code GgufFuzzTestInputs/}; {@code JAZZER_FUZZ=1} fuzzes.
 */
class GgufFuzzTest {
    private static final Path FILE = FuzzFiles.temp("fuzz", ".gguf");

    @FuzzTest(maxDuration = "2m")
    void openAnyBytes(byte[] data) throws Exception {
        FuzzFiles.checkOpened(FILE, data, GgufFile::open, g -> {
            for (GgufTensorInfo info : g.tensors()) {
                assertThat(info.byteSize()).isNotNegative();
                if (info.type().dtype() != null && info.type().dtype().isFloat()) {
                    Tensor t = g.tensor(info.name());
                    assertThat(t.data().byteSize())
                            .isEqualTo(info.byteSize())
                            .isEqualTo(Math.multiplyExact(t.size(), (long) t.dtype().bytes)); // not a size that wrapped
                }
            }
            for (String key : g.metadata().keySet()) assertThat(g.type(key)).isNotNull();
        });
    }
}
