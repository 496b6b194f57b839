package dev.veil.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class NameFilterTest {

    static final List<String> SETTINGS = List.of("defaults", "alpha_down 0.5", "h=128, alpha_down 0.5", "noise off");

    @Test
    void withoutTheOptionEverythingRuns() {
        assertThat(NameFilter.matches("anything", null)).isTrue();
        assertThat(NameFilter.matching(SETTINGS, null, Function.identity())).isEqualTo(SETTINGS);
    }

    @Test
    void keepsTheNamesContainingOneOfTheTextsInOrder() {
        assertThat(NameFilter.matching(SETTINGS, List.of("alpha_down", "off"), Function.identity()))
                .containsExactly("alpha_down 0.5", "h=128, alpha_down 0.5", "noise off");
        assertThat(NameFilter.matches("nearest neighbour", List.of("joint", "nearest")))
                .isTrue();
        assertThat(NameFilter.matches("nearest neighbour", List.of("joint"))).isFalse();
    }

    @Test
    void noSettingLeftIsAnErrorNamingTheOption() {
        assertThat(NameFilter.requireSettings(SETTINGS, List.of("h=128"), Function.identity()))
                .containsExactly("h=128, alpha_down 0.5");
        assertThatThrownBy(() -> NameFilter.requireSettings(SETTINGS, List.of("nope"), Function.identity()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("no setting matches --settings [nope]");
    }
}
