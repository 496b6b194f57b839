package dev.veil.bench.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.cli.CliRun;
import dev.veil.model.ModelConfig;
import dev.veil.model.RandomModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code veil bench train}: two builds (here this test's own class path twice, each in its own class loader) train a
 * one-layer model side by side; the report it writes (no timing is asserted) and its bad-input errors.
 */
class BenchTrainCommandTest {
    /** Both builds of these tests: this test's own class path. */
    private static final String CLASS_PATH = System.getProperty("java.class.path");

    @TempDir
    Path tmp;

    /** A one-layer Qwen3's config.json: the bench trains from scratch and reads nothing else. */
    private Path tinyModel() throws Exception {
        Path model = Files.createDirectories(tmp.resolve("tiny"));
        RandomModel.config(ModelConfig.Architecture.QWEN3, 300, 32, 64, 1, 2, 1, 16, null, false, false, "float32")
                .write(model);
        return model;
    }

    /** {@code veil bench train} with these builds as --baseline and --current, then {@code more}. */
    private static CliRun benchTrain(String baseline, String current, Path model, String... more) {
        List<String> args = new java.util.ArrayList<>(
                List.of("bench", "train", "--baseline", baseline, "--current", current, "--model", model.toString()));
        args.addAll(List.of(more));
        return BenchCommandTest.run(args.toArray(String[]::new));
    }

    @Test
    void trainsBothBuildsInTurnAndWritesTheReport() throws Exception {
        Path model = tinyModel();
        Path out = tmp.resolve("results");
        CliRun r = benchTrain(
                CLASS_PATH,
                CLASS_PATH,
                model,
                "--batch",
                "2",
                "--seq",
                "8",
                "--steps",
                "1",
                "--rounds",
                "2",
                "--out",
                out.toString());
        assertThat(r.exit()).as(r.err()).isZero();

        List<Path> files = BenchCommandTest.report(out, "train");
        JsonNode json = new ObjectMapper().readTree(files.get(0).toFile()).path("result");
        JsonNode report = json.path("report");
        long expected = dev.veil.train.model.Transformer.initialize(ModelConfig.read(model), 1)
                .parameterCount();
        assertThat(json.path("command").asText()).startsWith("veil bench train --baseline ");
        assertThat(report.path("parameters").asLong()).isEqualTo(expected);
        assertThat(report.path("batch").asInt()).isEqualTo(2);
        assertThat(report.path("seq").asInt()).isEqualTo(8);
        // A and B alternate, one timed run each per round
        List<String> order = report.path("runs")
                .valueStream()
                .map(run -> run.path("build").asText() + run.path("round").asInt())
                .toList();
        assertThat(order).containsExactly("A1", "B1", "A2", "B2");
        for (JsonNode run : report.path("runs")) {
            assertThat(run.path("tokensPerSecond").asDouble()).isPositive();
            assertThat(run.path("tokensPerCpuSecond").asDouble()).isPositive();
        }
        assertThat(json.path("ratio_tokens_per_second").asDouble())
                .isEqualTo(
                        report.path("bestB").asDouble() / report.path("bestA").asDouble());
        assertThat(r.out()).contains("| A | 1 |").contains("| B | 2 |").contains("B / A = **");
    }

    @Test
    void refusesAMissingBuildOrModelBeforeTraining() throws Exception {
        Path model = tinyModel();
        Path missing = tmp.resolve("old-veil.jar");
        CliRun r = benchTrain(
                missing.toString(),
                CLASS_PATH,
                model,
                "--out",
                tmp.resolve("results").toString());
        assertThat(r.exit()).isNotZero();
        assertThat(r.err()).contains(missing + " does not exist");

        r = benchTrain(
                CLASS_PATH, CLASS_PATH, tmp, "--out", tmp.resolve("results").toString());
        assertThat(r.exit()).isNotZero();
        assertThat(r.err()).contains(tmp.resolve("config.json") + " does not exist");
        assertThat(tmp.resolve("results")).doesNotExist();
    }
}
