package dev.veil.bench.aloepri;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.bench.BenchModel;
import dev.veil.model.DType;
import dev.veil.model.ModelConfig;
import dev.veil.model.RandomModel;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The benchmark's bookkeeping on a tiny model (its timings are the machine's; they are not asserted). */
class AloePriBenchTest {

    @TempDir
    Path tmp;

    @Test
    void measuresBothCostsAndWritesTheReport() throws Exception {
        ModelConfig c = RandomModel.config(
                ModelConfig.Architecture.LLAMA, 600, 128, 256, 2, 4, 2, 32, null, false, false, "float32");
        RandomModel.write(tmp.resolve("plain"), c, DType.F32, 5, RandomModel.Scales.DEFAULT);
        BenchModel m = BenchModel.of(tmp.resolve("plain"));
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        AloePriBench.Report r = new AloePriBench(new AloePriBench.Settings(8, 4, 2, 2), new PrintStream(log, true))
                .run(m, tmp.resolve("work"), "test");

        assertThat(r.parameters()).isEqualTo(m.parameters());
        assertThat(r.expansion()).isEqualTo(16); // min(128, 2·⌊128/16⌋)
        assertThat(r.decodeTimeTarget()).isEqualTo((128 + 32) / 128.0 * 1.05);
        assertThat(r.obfuscations())
                .hasSize(2)
                .allSatisfy(t -> assertThat(t.wallSeconds()).isPositive());
        assertThat(r.minutesPerBillion())
                .isEqualTo(r.obfuscations().stream()
                                .mapToDouble(AloePriBench.Timing::wallSeconds)
                                .min()
                                .orElseThrow()
                        / 60
                        / (m.parameters() / 1e9));
        // the same quantity computed from the reported speeds: equal up to the last bit of rounding
        assertThat(r.decodeTimeRatio())
                .isCloseTo(
                        r.plainDecodeTokensPerSecond() / r.obfuscatedDecodeTokensPerSecond(),
                        org.assertj.core.api.Assertions.within(1e-12));
        assertThat(log.toString()).contains("decode run 2:");
        try (Stream<Path> left = Files.list(tmp.resolve("work"))) {
            assertThat(left).as("obfuscated copies are removed").isEmpty();
        }

        Path md = AloePriBench.write(r, tmp.resolve("results"));
        assertThat(Files.readString(md))
                .contains("| decode time, obfuscated / plain |")
                .contains("min per billion parameters");
        try (Stream<Path> files = Files.list(tmp.resolve("results"))) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .anyMatch(n -> n.startsWith("aloepri-") && n.endsWith(".json"));
        }
    }
}
