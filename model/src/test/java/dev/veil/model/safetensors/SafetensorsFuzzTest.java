package dev.veil.model.safetensors;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.veil.model.FuzzFiles;
import dev.veil.model.TensorSpec;
import java.nio.file.Path;

/**
 * Fuzz target for {@link SafetensorsFile}: any byte string either opens (and every tensor it lists can be sliced)
 * or fails with one IOException "PATH: problem" — never a runtime exception, an error or a hang.
 */
class SafetensorsFuzzTest {
    private static final Path FILE = FuzzFiles.temp("fuzz", ".safetensors");

    @FuzzTest(maxDuration = "2m")
    void openAnyBytes(byte[] data) throws Exception {
        FuzzFiles.checkOpened(FILE, data, SafetensorsFile::open, f -> {
            for (TensorSpec s : f.specs())
                assertThat(f.tensor(s.name()).data().byteSize()).isEqualTo(s.byteSize());
        });
    }
}
