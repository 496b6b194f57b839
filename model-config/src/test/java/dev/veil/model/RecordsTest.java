package dev.veil.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shared record with-er ({@link Records}) and JSON file reader ({@link JsonFiles}). */
class RecordsTest {

    record Point(String name, int x, long y, List<Integer> tags) {
        Point {
            if (x < 0) throw new IllegalArgumentException("x must be >= 0, got " + x);
            tags = List.copyOf(tags);
        }
    }

    private static final Point P = new Point("p", 1, 2L, List.of(3));

    @Test
    void replacesOnlyTheNamedComponents() {
        assertThat(Records.with(P, "x", 5, "name", null)).isEqualTo(new Point(null, 5, 2L, List.of(3)));
        assertThat(Records.with(P)).isEqualTo(P).isNotSameAs(P);
        assertThat(P).isEqualTo(new Point("p", 1, 2L, List.of(3)));
    }

    @Test
    void theCopyPassesTheConstructorsChecks() {
        assertThatThrownBy(() -> Records.with(P, "x", -1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("x must be >= 0, got -1");
        var copied = Records.with(P, "tags", new java.util.ArrayList<>(List.of(7)));
        assertThatThrownBy(() -> copied.tags().add(8)).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void wrongNamesTypesAndPairsFailAtOnce() {
        assertThatThrownBy(() -> Records.with(P, "z", 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Point has no component 'z' (it has [name, x, y, tags])");
        assertThatThrownBy(() -> Records.with(P, "y", 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Point.y is a long, not Integer");
        assertThatThrownBy(() -> Records.with(P, "x", null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Point.x is a int, not null");
        assertThatThrownBy(() -> Records.with(P, "x"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("pairs");
    }

    @Test
    void modelConfigWithersKeepTheShape() {
        ModelConfig c = ModelConfig.of(ModelConfig.Architecture.QWEN2, 100, 64, 128, 2, 4, 2, 16)
                .withNorm(1e-5, 1e6, null)
                .withTokens(512, true, true, 1, List.of(2))
                .withTorchDtype("bfloat16");
        assertThat(c.withWidths(96, 256))
                .isEqualTo(new ModelConfig(
                        ModelConfig.Architecture.QWEN2,
                        100,
                        96,
                        256,
                        2,
                        4,
                        2,
                        16,
                        1e-5,
                        1e6,
                        null,
                        512,
                        true,
                        true,
                        1,
                        List.of(2),
                        "bfloat16",
                        null));
    }

    @Test
    void jsonFilesNameTheFile(@TempDir Path dir) throws IOException {
        Path missing = dir.resolve("absent.json"), bad = dir.resolve("bad.json"), good = dir.resolve("good.json");
        Files.writeString(bad, "{\"a\": ");
        Files.writeString(good, "{\"a\": 3}");
        assertThatThrownBy(() -> JsonFiles.read(missing, "no such config"))
                .isInstanceOf(IOException.class)
                .hasMessage(missing + ": no such config");
        assertThatThrownBy(() -> JsonFiles.read(missing, null)).hasMessageStartingWith(missing + ": not valid JSON (");
        assertThatThrownBy(() -> JsonFiles.read(bad, "x")).hasMessageStartingWith(bad + ": not valid JSON (");
        int a = JsonFiles.parse(good, "x", n -> n.path("a").asInt());
        assertThat(a).isEqualTo(3);
        assertThatThrownBy(() -> JsonFiles.parse(good, "x", n -> {
                    throw new IllegalArgumentException("field 'a': too small");
                }))
                .isInstanceOf(IOException.class)
                .hasMessage(good + ": field 'a': too small");
    }
}
