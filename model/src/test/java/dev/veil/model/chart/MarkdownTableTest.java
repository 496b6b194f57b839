package dev.veil.model.chart;

import static dev.veil.model.chart.MarkdownTable.f;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class MarkdownTableTest {

    record Run(String name, double loss, int steps) {}

    @Test
    void headerAlignmentAndOneLinePerRowInRootLocale() {
        MarkdownTable<Run> table = new MarkdownTable<Run>()
                .left("run", Run::name)
                .right("loss", r -> f("%.3f", r.loss()))
                .right("steps", r -> f("%,d", r.steps()));
        assertThat(table.render(List.of(new Run("a", 1.23456, 1200), new Run("b", -0.5, 7))))
                .isEqualTo("""
                        | run | loss | steps |
                        |---|---:|---:|
                        | a | 1.235 | 1,200 |
                        | b | -0.500 | 7 |
                        """);
    }

    @Test
    void noRowsLeavesTheHeader() {
        assertThat(new MarkdownTable<String>().left("x", s -> s).render(List.of()))
                .isEqualTo("| x |\n|---|\n");
    }
}
