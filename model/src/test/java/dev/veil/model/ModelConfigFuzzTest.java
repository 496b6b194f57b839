package dev.veil.model;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Fuzz target for config.json ({@link ModelConfig#read}): any bytes either give a config whose derived sizes are
 * consistent, or an IOException naming the file — never a runtime exception, an error or a hang.
 */
class ModelConfigFuzzTest {
    private static final Path DIR = FuzzFiles.tempDir("fuzz-config");

    @FuzzTest(maxDuration = "2m")
    void readAnyConfigJson(byte[] data) throws IOException {
        Files.write(DIR.resolve("config.json"), data);
        ModelConfig c;
        try {
            c = ModelConfig.read(DIR);
        } catch (IOException e) {
            assertThat(e.getMessage()).startsWith(DIR.resolve("config.json") + ": ");
            return;
        }
        assertThat(c.qDim()).isEqualTo((long) c.numHeads() * c.headDim());
        assertThat(c.groupSize() * c.numKvHeads()).isEqualTo(c.numHeads());
    }
}
