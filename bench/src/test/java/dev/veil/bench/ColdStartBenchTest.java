package dev.veil.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ColdStartBenchTest {

    @Test
    void summariesAreMediansOverLlamaCpps() {
        List<ColdStartBench.Run> runs = List.of(
                new ColdStartBench.Run("veil", 0, 0.5, 3.0, 3.5, 2.0, 1),
                new ColdStartBench.Run(ColdStartBench.LLAMA, 0, 2.0, 2.0, 2.2, 1.0, 1),
                new ColdStartBench.Run("veil", 1, 0.5, 9.0, 9.5, 6.0, 1),
                new ColdStartBench.Run(ColdStartBench.LLAMA, 1, 1.0, 1.0, 1.1, 3.0, 1),
                new ColdStartBench.Run("veil", 2, 0.5, 4.0, 4.5, 4.0, 1),
                new ColdStartBench.Run(ColdStartBench.LLAMA, 2, 4.0, 4.0, 4.1, 2.0, 1));
        List<ColdStartBench.Summary> s = ColdStartBench.summarize(runs, List.of("veil", ColdStartBench.LLAMA));
        assertThat(s).hasSize(2);
        ColdStartBench.Summary veil = s.getFirst();
        assertThat(veil.medianSeconds()).isEqualTo(4.0);
        assertThat(veil.minSeconds()).isEqualTo(3.0);
        assertThat(veil.maxSeconds()).isEqualTo(9.0);
        assertThat(veil.ratio()).isEqualTo(2.0);
        assertThat(veil.medianCpuSeconds()).isEqualTo(4.0);
        assertThat(veil.cpuRatio()).isEqualTo(2.0);
        assertThat(s.get(1).ratio()).isEqualTo(1.0);
        assertThat(ColdStartBench.median(new double[] {1, 2, 3, 10})).isEqualTo(2.5);
    }

    @Test
    void cpuSecondsOfALiveProcessGrowWithItsWork() {
        long pid = ProcessHandle.current().pid();
        double before = ColdStartBench.cpuSeconds(pid);
        long t0 = System.nanoTime();
        double x = 0;
        while (System.nanoTime() - t0 < 300_000_000L) x += Math.sqrt(x + 1);
        assertThat(x).isPositive();
        double after = ColdStartBench.cpuSeconds(pid);
        assertThat(before).isPositive();
        // at least the busy loop's CPU time, however loaded the machine (it may get less than its wall time)
        assertThat(after - before).isGreaterThan(0.0);
        assertThat(ColdStartBench.cpuSeconds(-1)).isNaN();
    }

    @Test
    void badSettingsFailClearly() {
        var v = Map.of("veil", "");
        assertThatThrownBy(() -> new ColdStartBench.Settings(Path.of("m.gguf"), "p", 0, 1, 1, v))
                .hasMessageContaining("--threads");
        assertThatThrownBy(() -> new ColdStartBench.Settings(Path.of("m.gguf"), "p", 1, 0, 1, v))
                .hasMessageContaining("--reps");
        assertThatThrownBy(() -> new ColdStartBench.Settings(Path.of("m.gguf"), "p", 1, 1, 0, v))
                .hasMessageContaining("--tokens");
        assertThatThrownBy(() -> new ColdStartBench.Settings(Path.of("m.gguf"), "p", 1, 1, 1, Map.of()))
                .hasMessageContaining("variant");
    }
}
