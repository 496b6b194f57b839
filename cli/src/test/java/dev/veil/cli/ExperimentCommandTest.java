package dev.veil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.aloepri.TinyModels;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExperimentCommandTest {

    @TempDir
    Path tmp;

    @Test
    void aMissingCorpusOrBadArgumentsFailWithOneLine() throws Exception {
        Path plain = TinyModels.write(tmp.resolve("plain"), TinyModels.qwen(), "exp");
        Files.writeString(plain.resolve("tokenizer.json"), "{}");
        var missing = CliRun.run(
                "experiment",
                "aloepri-accuracy",
                "--model",
                plain.toString(),
                "--heldout",
                tmp.resolve("none.jsonl").toString(),
                "--out",
                tmp.resolve("out").toString());
        assertThat(missing.exit()).isEqualTo(1);
        assertThat(missing.err()).contains("none.jsonl: no such held-out file");
        var tokens = CliRun.run("experiment", "aloepri-accuracy", "--model", plain.toString(), "--tokens", "1");
        assertThat(tokens.err().strip()).isEqualTo("veil: --tokens must be at least 2, got 1");
        assertThat(tmp.resolve("out")).doesNotExist();
    }
}
