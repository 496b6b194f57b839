package dev.veil.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RequestIntakeTest {

    @Test
    void refusesWhatCannotServeAndNamesIt() {
        assertThatThrownBy(() -> new RequestIntake(-1, 8, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("max body bytes must be >= 0 (0: from the context length)");
        assertThatThrownBy(() -> new RequestIntake(0, 0, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("max parsing must be >= 1, got 0");
        assertThatThrownBy(() -> new RequestIntake(0, 1, Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the slot wait is negative");
    }

    @Test
    void slotsHoldMaxParsingPermits() {
        assertThat(RequestIntake.defaults().slots().semaphore().availablePermits())
                .isEqualTo(8);
        assertThat(new RequestIntake(1 << 20, 3, Duration.ZERO)
                        .slots()
                        .semaphore()
                        .availablePermits())
                .isEqualTo(3);
    }
}
