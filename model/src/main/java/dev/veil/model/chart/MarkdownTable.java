package dev.veil.model.chart;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * A markdown table declared column by column: each column's header, alignment and cell text stand side by side, so
 * a report names each value once instead of in one long format string and its argument list. The one table writer of
 * the reports (AloePri's accuracy and quantization experiments, a model card); it lives beside {@link SvgChart} for
 * the same reason.
 *
 * @param <R> what one row shows
 */
public final class MarkdownTable<R> {

    private record Column<R>(String header, boolean right, Function<R, String> cell) {}

    private final List<Column<R>> columns = new ArrayList<>();

    /** A left-aligned column ({@code |---|}). */
    public MarkdownTable<R> left(String header, Function<R, String> cell) {
        columns.add(new Column<>(header, false, cell));
        return this;
    }

    /** A right-aligned column ({@code |---:|}), for numbers. */
    public MarkdownTable<R> right(String header, Function<R, String> cell) {
        columns.add(new Column<>(header, true, cell));
        return this;
    }

    /** The header line, the alignment line and one line per row, each ending in a newline. */
    public String render(Iterable<? extends R> rows) {
        StringBuilder sb = new StringBuilder();
        line(sb, columns.stream().map(Column::header).toList());
        for (Column<R> c : columns) sb.append(c.right() ? "|---:" : "|---");
        sb.append("|\n");
        for (R row : rows)
            line(sb, columns.stream().map(c -> c.cell().apply(row)).toList());
        return sb.toString();
    }

    /** {@code String.format} in {@link Locale#ROOT}, as every report formats its numbers. */
    public static String f(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }

    private static void line(StringBuilder sb, List<String> cells) {
        sb.append("| ").append(String.join(" | ", cells)).append(" |\n");
    }
}
