package dev.veil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** {@code veil demo} on the bundled model: all three ways run, and Talaria's answer is the plain model's. */
class DemoCommandTest {

    @Test
    void demoRunsPlainAloePriAndTalariaOnTheBundledModel() {
        Path model = Path.of(System.getProperty("veil.repo")).resolve(DemoCommand.BUNDLED);
        CliRun r = CliRun.run("demo", "--model", model.toString(), "--max-tokens", "12");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out())
                .contains("-- 1. plain", "-- 2. AloePri", "what the untrusted server saw", "-- 3. Talaria")
                .contains("identical to the plain model's answer: yes (12 tokens)");
    }

    @Test
    void aMissingModelIsOneClearLine() {
        CliRun r = CliRun.run("demo", "--model", "/nonexistent/model");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("/nonexistent/model: no model directory");
    }
}
