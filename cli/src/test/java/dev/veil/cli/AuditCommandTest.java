package dev.veil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.attack.capture.CaptureFiles;
import dev.veil.attack.capture.TalariaRun;
import dev.veil.model.ModelFiles;
import dev.veil.talaria.client.TalariaOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code veil audit}: attacking a saved capture of the bundled model, and the errors a user can make. */
class AuditCommandTest {

    @TempDir
    Path tmp;

    static Path bundledModel() {
        String repo = System.getProperty("veil.repo");
        if (repo == null) throw new IllegalStateException("system property veil.repo is not set (surefire sets it)");
        return Path.of(repo, "models", "veil-sotu-qwen2");
    }

    @Test
    void attacksASavedTalariaCaptureAndWritesTheReport() throws Exception {
        Path model = bundledModel();
        Path capture = tmp.resolve("capture");
        try (ModelFiles m = ModelFiles.open(model)) {
            TalariaRun.Result run = TalariaRun.run(
                    m.config(),
                    m.weights(),
                    model,
                    new TalariaRun.Veil(TalariaOptions.plaintext()),
                    List.of(new int[] {100, 200, 300, 400, 500, 600}),
                    2,
                    TalariaRun.all(),
                    () -> {});
            CaptureFiles.write(capture, run.capture(), run.truth());
        }
        Path text = Files.writeString(
                tmp.resolve("public.txt"),
                "We the people of the United States, in order to form a more perfect union.");
        Path out = tmp.resolve("report");
        CliRun r = auditCapture(capture, text, out, "--match-budget", "8", "--match-requests", "1");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("written: " + out + ".json").contains("written: " + out + ".html");
        JsonNode json = new ObjectMapper().readTree(Path.of(out + ".json").toFile());
        JsonNode attacks = json.path("settings").get(0).path("attacks");
        // the unigram baseline, the joint decoder's two reads-nothing twins, the joint attack (beam 4 and 1), nine more
        assertThat(attacks.size()).isEqualTo(14);
        for (JsonNode a : attacks) // plaintext rows: the row attacks and the joint attack read every token
        if (a.path("attack").asText().startsWith("nearest embedding")
                    || a.path("attack").asText().startsWith("argmax")
                    || a.path("attack").asText().startsWith("joint likelihood"))
                assertThat(a.path("top1").asDouble())
                        .as(a.path("attack").asText())
                        .isEqualTo(1.0);
        assertThat(Files.readString(Path.of(out + ".html"))).contains("Top-1 recovery by setting");
        assertThat(r.out()).contains("capture: server recovers 100.0%");

        // only the attacks asked for, beside those that read nothing; the true-prefix analysis on request
        Path some = tmp.resolve("some");
        CliRun only = auditCapture(capture, text, some, "--attacks", "nearest", "--true-prefix");
        assertThat(only.exit()).as(only.err()).isZero();
        JsonNode chosen = new ObjectMapper()
                .readTree(Path.of(some + ".json").toFile())
                .path("settings")
                .get(0)
                .path("attacks");
        assertThat(chosen.size())
                .isEqualTo(5); // the three that read nothing, nearest embedding, the true-prefix analysis
        assertThat(chosen.findValuesAsText("attack"))
                .anyMatch(a -> a.startsWith("nearest embedding"))
                .anyMatch(a -> a.contains("true prefix"));
    }

    @Test
    void userErrorsAreOneClearLine() throws Exception {
        CliRun neither = CliRun.run("audit", "--mode", "talaria");
        assertThat(neither.exit()).isNotZero();
        assertThat(neither.err()).contains("give exactly one of --model DIR (sweep) or --capture DIR");
        CliRun badMode = CliRun.run("audit", "--mode", "tls", "--model", "x");
        assertThat(badMode.err()).contains("unknown mode 'tls' (talaria, aloepri)");
        CliRun noCapture = CliRun.run(
                "audit", "--mode", "aloepri", "--capture", tmp.resolve("none").toString());
        assertThat(noCapture.err()).contains("capture.json: missing");
    }

    /** {@code veil audit --mode talaria} of a saved capture with the attacker's public text, then {@code more}. */
    private static CliRun auditCapture(Path capture, Path text, Path out, String... more) {
        List<String> args = new ArrayList<>(List.of(
                "audit",
                "--mode",
                "talaria",
                "--capture",
                capture.toString(),
                "--public",
                text.toString(),
                "--no-progress",
                "--out",
                out.toString()));
        args.addAll(List.of(more));
        return CliRun.run(args.toArray(String[]::new));
    }
}
