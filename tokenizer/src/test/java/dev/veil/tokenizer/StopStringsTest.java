package dev.veil.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.tokenizer.StopStrings.Result;
import java.util.List;
import org.junit.jupiter.api.Test;

class StopStringsTest {
    @Test
    void releasesTextThatCannotStartAStopString() {
        StopStrings stops = new StopStrings(List.of("\nUser:"));
        assertThat(stops.accept("Hello")).isEqualTo(new Result("Hello", false));
        assertThat(stops.accept(" there\nUs")).isEqualTo(new Result(" there", false)); // "\nUs" may become "\nUser:"
        assertThat(stops.accept("ually")).isEqualTo(new Result("\nUsually", false));
        assertThat(stops.flush()).isEmpty();
    }

    @Test
    void stopsBeforeAStopStringSplitAcrossChunks() {
        StopStrings stops = new StopStrings(List.of("</answer>"));
        assertThat(stops.accept("42</ans")).isEqualTo(new Result("42", false));
        assertThat(stops.accept("wer> and more")).isEqualTo(new Result("", true));
        assertThat(stops.stopped()).isTrue();
        assertThat(stops.accept("ignored")).isEqualTo(new Result("", true));
        assertThat(stops.flush()).isEmpty();
    }

    @Test
    void theEarliestOfSeveralStopStringsWins() {
        StopStrings stops = new StopStrings(List.of("END", "\n\n"));
        assertThat(stops.accept("a\n\nb END")).isEqualTo(new Result("a", true));
    }

    @Test
    void overlappingPrefixesHoldTheLongestPossibleStart() {
        StopStrings stops = new StopStrings(List.of("abc", "bcd"));
        assertThat(stops.accept("xab")).isEqualTo(new Result("x", false));
        assertThat(stops.accept("cd")).isEqualTo(new Result("", true)); // "abc" starts first
    }

    @Test
    void heldTextComesOutAtTheEnd() {
        StopStrings stops = new StopStrings(List.of("###"));
        assertThat(stops.accept("total #")).isEqualTo(new Result("total ", false));
        assertThat(stops.accept("#")).isEqualTo(new Result("", false));
        assertThat(stops.flush()).isEqualTo("##");
    }

    @Test
    void withoutStopStringsEverythingPassesThrough() {
        StopStrings stops = new StopStrings(List.of());
        assertThat(stops.accept("anything")).isEqualTo(new Result("anything", false));
    }

    @Test
    void emptyStopStringsAreRefused() {
        assertThatThrownBy(() -> new StopStrings(List.of("")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("must not be empty");
    }
}
