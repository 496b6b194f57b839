package dev.veil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** {@code veil generate --threads} (the {@link KernelThreads} mixin it shares with serve and talaria cloud). */
class GenerateCommandTest {

    private static JsonNode generate(String threads) throws Exception {
        Path model = Path.of(System.getProperty("veil.repo")).resolve(DemoCommand.BUNDLED);
        CliRun r = CliRun.ok(
                "generate",
                "--model",
                model.toString(),
                "--prompt",
                "The state of the Union",
                "--max-tokens",
                "4",
                "--threads",
                threads,
                "--json");
        return new ObjectMapper().readTree(r.out());
    }

    @Test
    void aPoolOfItsOwnGivesTheSharedPoolsTokens() throws Exception {
        JsonNode shared = generate("0"), own = generate("2");
        assertThat(shared.path("output_ids")).hasSize(4);
        assertThat(own.path("output_ids")).isEqualTo(shared.path("output_ids"));
    }

    @Test
    void negativeThreadsAreOneClearLine() {
        CliRun r = CliRun.run("generate", "--model", "m", "--prompt", "p", "--threads", "-1");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err().strip()).isEqualTo("veil: --threads must be >= 0, got -1");
    }
}
