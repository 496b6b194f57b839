package dev.veil.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class MachineTest {

    private static final Machine M = new Machine("Xeon", 2, "25.0.1 (OpenJDK)", "Linux 6.1 amd64", "1.00 2.00 3.00");

    @Test
    void everyReportStartsWithTheSameMachineLines() {
        assertThat(M.markdown("; threads: 1, 2", true))
                .isEqualTo("- CPU: Xeon, 2 cores visible; threads: 1, 2\n"
                        + "- JDK: 25.0.1 (OpenJDK); OS: Linux 6.1 amd64\n"
                        + "- load average at start (1/5/15 min): 1.00 2.00 3.00\n");
        assertThat(M.markdown("", false))
                .isEqualTo("- CPU: Xeon, 2 cores visible\n- JDK: 25.0.1 (OpenJDK); OS: Linux 6.1 amd64\n");
    }
}
