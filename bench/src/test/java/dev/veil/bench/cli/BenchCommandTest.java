package dev.veil.bench.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.cli.CliRun;
import dev.veil.model.DType;
import dev.veil.model.ModelConfig;
import dev.veil.model.RandomModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code veil bench engine}: the report it writes (no timing is asserted) and its bad-input errors. */
class BenchCommandTest {
    @TempDir
    Path tmp;

    /** A one-layer random Llama model in the test's folder. */
    private Path tinyModel() throws Exception {
        Path model = tmp.resolve("tiny");
        RandomModel.write(
                model,
                RandomModel.config(
                        ModelConfig.Architecture.LLAMA, 300, 32, 64, 1, 2, 1, 16, null, false, false, "float32"),
                DType.F32,
                3,
                RandomModel.Scales.DEFAULT);
        return model;
    }

    /** The report a bench command wrote into {@code out}, and nothing else there: its {@code PREFIX-*.json}, its {@code .md}. */
    static List<Path> report(Path out, String prefix) throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.list(out)) {
            files = s.sorted().toList();
        }
        assertThat(files).hasSize(2);
        assertThat(files.get(0).getFileName().toString()).matches(prefix + "-.*\\.json");
        assertThat(files.get(1).getFileName().toString()).matches(prefix + "-.*\\.md");
        return files;
    }

    /** veil-bench.jar's main, with its output captured. */
    static CliRun run(String... args) {
        return CliRun.run(new BenchMain(), args);
    }

    /** {@code veil bench engine} on {@code model} at contexts 4 and 8, 2 decode tokens, one repeat, then {@code more}. */
    static CliRun tinyBench(Path model, Path out, String threads, String... more) {
        List<String> args = new ArrayList<>(List.of(
                "bench",
                "engine",
                "--model",
                model.toString(),
                "--threads",
                threads,
                "--short",
                "4",
                "--long",
                "8",
                "--decode",
                "2",
                "--repeats",
                "1",
                "--out",
                out.toString()));
        args.addAll(List.of(more));
        return run(args.toArray(String[]::new));
    }

    @Test
    void writesJsonAndMarkdownWithEveryEngineAtBothContexts() throws Exception {
        Path model = tinyModel();
        Path out = tmp.resolve("results");
        var r = tinyBench(model, out, "1");
        assertThat(r.exit()).as(r.err()).isZero();

        List<Path> files = report(out, "engine");
        JsonNode report = new ObjectMapper().readTree(files.get(0).toFile());
        assertThat(report.path("commandLine").asText()).startsWith("veil bench engine --model " + model);
        assertThat(report.path("threads").toString()).isEqualTo("[1]");
        assertThat(report.path("bandwidthBytesPerSecond").asDouble()).isPositive();
        JsonNode m = report.path("models").get(0);
        assertThat(m.path("name").asText()).isEqualTo("tiny");
        assertThat(m.path("dtype").asText()).isEqualTo("F32");
        assertThat(m.path("threads").asInt()).isEqualTo(1);
        List<String> rows = new ArrayList<>();
        for (JsonNode row : m.path("rows")) {
            rows.add(row.path("engine").asText() + "@" + row.path("context").asInt());
            assertThat(row.path("decodeTokensPerSecond").asDouble()).isPositive();
        }
        assertThat(rows).containsExactly("Veil@4", "Veil@8", "llama.cpp@4", "llama.cpp@8", "Jlama@4", "Jlama@8");
        assertThat(Files.readString(files.get(1)))
                .contains("| engine | context | prefill tok/s | decode tok/s")
                .contains("| llama.cpp | 8 |");
        assertThat(r.out()).contains("## tiny, 1 thread (F32");
    }

    /** --quant: Veil's Q8_0 GGUF of the model, run by both engines at each --threads count; Jlama (HF only) left out. */
    @Test
    void quantizedModelsAtEachThreadCount() throws Exception {
        Path model = tinyModel();
        Path out = tmp.resolve("results");
        var r = tinyBench(model, out, "1,2", "--quant", "q8_0");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(tmp.resolve("tiny-q8_0/tiny-q8_0.gguf")).exists();
        JsonNode report;
        try (Stream<Path> s = Files.list(out)) {
            report = new ObjectMapper()
                    .readTree(s.filter(f -> f.toString().endsWith(".json"))
                            .findFirst()
                            .orElseThrow()
                            .toFile());
        }
        List<String> models = new ArrayList<>();
        for (JsonNode m : report.path("models")) {
            models.add(m.path("name").asText() + " " + m.path("dtype").asText() + " x"
                    + m.path("threads").asInt());
            List<String> engines = new ArrayList<>();
            for (JsonNode row : m.path("rows")) engines.add(row.path("engine").asText());
            assertThat(engines).containsExactly("Veil", "Veil", "llama.cpp", "llama.cpp");
            assertThat(m.path("notes").toString())
                    .contains("Jlama skipped: it runs Hugging Face checkpoints, not quantized GGUFs");
        }
        assertThat(models).containsExactly("tiny-q8_0 Q8_0 x1", "tiny-q8_0 Q8_0 x2");
        assertThat(r.out()).contains("## tiny-q8_0, 2 threads (Q8_0");
        assertThat(run("bench", "engine", "--quant", "q3").err().strip())
                .isEqualTo("veil: unsupported --quant 'q3' (use q8_0 or q4_k)");
    }

    @Test
    void badOptionsAreOneLineErrors() {
        var r = run("bench", "engine", "--short", "0");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err().strip()).isEqualTo("veil: --short must be >= 1 and --long >= --short (got 0, 512)");
    }

    @Test
    void aMissingModelDirectoryIsNamed() {
        Path missing = tmp.resolve("nope");
        var r = run("bench", "engine", "--model", missing.toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err().strip())
                .startsWith("veil: " + missing.resolve("config.json"))
                .doesNotContain("\n");
    }
}
