package dev.veil.model.chart;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.DoubleUnaryOperator;

/**
 * Small line charts as standalone SVG: a figure is a row of panels, each with axes, ticks at the measured x values,
 * one polyline per series (with markers unless it is a long curve) and an optional dashed reference line (a target);
 * below them one legend for the whole figure. What the panels share is drawn once: a series keeps its colour and
 * legend entry in every panel, each marker is defined once in {@code <defs>}, a series' style is stated once for its
 * lines in all panels (one {@code <g>} per series), and panels of one y quantity share one y range, labelled on the
 * first. The one SVG helper of Veil: AloePri's experiment and frontier plots, the audit report's sweeps and a model
 * card's training curve; readable in any browser or on a forge, with no charting library. It lives in {@code model}
 * because that is the lowest module every writer of a plot (train, aloepri, attack) depends on.
 */
public final class SvgChart {

    /** At most this many measured x values get their own tick; more (a scatter of many points) get evenly spaced ticks. */
    private static final int MAX_MEASURED_TICKS = 8;

    static final String[] COLORS = {
        "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"
    };
    private static final int PANEL_W = 380, PANEL_H = 300, LEFT = 60, RIGHT = 16, TOP = 34, BOTTOM = 66, TITLE_H = 30;

    /** A series drawn in {@code color} (an SVG colour), or in the palette's next colour when it is null. */
    public record Series(String name, double[] x, double[] y, String color) {
        public Series {
            if (x.length != y.length)
                throw new IllegalArgumentException(
                        "series '" + name + "' has " + x.length + " x values and " + y.length + " y values");
        }

        public Series(String name, double[] x, double[] y) {
            this(name, x, y, null);
        }

        /** A series from (x, y) pairs, as a training log keeps them. */
        public static Series of(String name, String color, List<double[]> points) {
            return new Series(
                    name,
                    points.stream().mapToDouble(p -> p[0]).toArray(),
                    points.stream().mapToDouble(p -> p[1]).toArray(),
                    color);
        }
    }

    /** A single-panel figure. */
    public static String figure(String title, String xLabel, String yLabel, List<Series> series) {
        return figure(title, List.of(new Panel("", xLabel, yLabel, false, series, null, null)));
    }

    /** Above this many points a series is a curve: a marker on each would hide the line. */
    private static final int MAX_MARKERS = 64;

    /** @param reference a horizontal dashed line (e.g. a target), or null; {@code referenceLabel} names it */
    public record Panel(
            String title,
            String xLabel,
            String yLabel,
            boolean logX,
            List<Series> series,
            Double reference,
            String referenceLabel) {}

    private SvgChart() {}

    public static String figure(String title, List<Panel> panels) {
        List<Series> legend = legend(panels);
        int perRow = perRow(legend), slots = perRow * Math.max(1, panels.size());
        int legendRows = legend.size() > 1 ? Math.ceilDiv(legend.size(), slots) : 0;
        int width = PANEL_W * panels.size(),
                height = PANEL_H + TITLE_H + 13 * Math.max(0, legendRows - 2); // room for long legends
        // panels that plot the same quantity share one y range, labelled once, so they read side by side
        boolean sharedY = panels.size() > 1
                && panels.stream().map(Panel::yLabel).distinct().count() == 1;
        double[] yRange = sharedY ? yRange(panels) : null;
        StringBuilder svg = new StringBuilder();
        svg.append(String.format(
                Locale.ROOT,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                        + "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"11\">%n",
                width,
                height,
                width,
                height));
        markers(svg, panels);
        svg.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", width, height));
        svg.append(String.format(
                Locale.ROOT,
                "<text x=\"%d\" y=\"20\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"bold\">%s</text>%n",
                width / 2,
                escape(title)));
        Map<Series, StringBuilder> lines = new LinkedHashMap<>(); // legend entry -> its polylines in every panel
        for (Series s : legend) lines.put(s, new StringBuilder());
        for (int p = 0; p < panels.size(); p++) {
            String at = String.format(Locale.ROOT, "translate(%d,%d)", p * PANEL_W, TITLE_H);
            svg.append("<g transform=\"").append(at).append("\">\n");
            panel(
                    svg,
                    panels.get(p),
                    yRange == null ? yRange(List.of(panels.get(p))) : yRange,
                    !sharedY || p == 0,
                    (s, points) -> lines.get(entry(legend, s))
                            .append(String.format(
                                    Locale.ROOT,
                                    "<polyline transform=\"%s\" points=\"%s\"%s%s/>",
                                    at,
                                    points,
                                    // a series of the legend's name but its own colour keeps it
                                    color(legend, s).equals(color(legend, entry(legend, s)))
                                            ? ""
                                            : " stroke=\"" + color(legend, s) + "\"",
                                    s.x().length > MAX_MARKERS
                                            ? ""
                                            : String.format(
                                                    Locale.ROOT,
                                                    " marker-start=\"url(#%1$s)\" marker-mid=\"url(#%1$s)\""
                                                            + " marker-end=\"url(#%1$s)\"",
                                                    markerId(color(legend, s))))));
            svg.append("</g>\n");
        }
        // a series' lines of all panels in one group that carries its style
        lines.forEach((s, polylines) -> svg.append(String.format(
                Locale.ROOT,
                "<g fill=\"none\" stroke=\"%s\" stroke-width=\"2\">%s</g>%n",
                color(legend, s),
                polylines)));
        // one legend for the figure, below the panels: a series keeps its colour and its entry in every panel
        int plotW = PANEL_W - LEFT - RIGHT;
        for (int i = 0; i < legend.size() && legend.size() > 1; i++) {
            int slot = i % slots;
            int lx = (slot / perRow) * PANEL_W + LEFT + (slot % perRow) * (plotW / 2),
                    ly = TITLE_H + TOP + (PANEL_H - TOP - BOTTOM) + 48 + 13 * (i / slots);
            svg.append(String.format(
                    Locale.ROOT,
                    "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"2\"/>"
                            + "<text x=\"%d\" y=\"%d\">%s</text>%n",
                    lx,
                    ly - 4,
                    lx + 18,
                    ly - 4,
                    color(legend, legend.get(i)),
                    lx + 22,
                    ly,
                    escape(legend.get(i).name())));
        }
        return svg.append("</svg>\n").toString();
    }

    /** Every series name of the figure once, in order of first appearance: the legend, and the palette's order. */
    private static List<Series> legend(List<Panel> panels) {
        List<Series> first = new ArrayList<>();
        for (Panel p : panels)
            for (Series s : p.series())
                if (first.stream().noneMatch(f -> f.name().equals(s.name()))) first.add(s);
        return first;
    }

    /** A series' colour: its own, else the palette's colour for its place in the figure's legend. */
    private static String color(List<Series> legend, Series s) {
        if (s.color() != null) return s.color();
        Series e = entry(legend, s);
        return e.color() != null ? e.color() : COLORS[legend.indexOf(e) % COLORS.length];
    }

    /** The legend's entry for {@code s}: the first series of its name. */
    private static Series entry(List<Series> legend, Series s) {
        return legend.stream()
                .filter(e -> e.name().equals(s.name()))
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("series '" + s.name() + "' is not in the legend"));
    }

    /**
     * One dot marker per colour in {@code <defs>}; a short series' polyline puts it on every point. Its id is the
     * colour's, so figures on one page that define the same marker define it alike.
     */
    private static void markers(StringBuilder svg, List<Panel> panels) {
        List<Series> legend = legend(panels);
        List<String> colors = new ArrayList<>();
        for (Panel p : panels)
            for (Series s : p.series())
                if (s.x().length <= MAX_MARKERS && !colors.contains(color(legend, s))) colors.add(color(legend, s));
        if (colors.isEmpty()) return;
        svg.append("<defs>");
        for (String c : colors)
            svg.append(String.format(
                    Locale.ROOT,
                    "<marker id=\"%s\" viewBox=\"-3 -3 6 6\" markerWidth=\"6\" markerHeight=\"6\" "
                            + "markerUnits=\"userSpaceOnUse\"><circle r=\"3\" fill=\"%s\"/></marker>",
                    markerId(c),
                    c));
        svg.append("</defs>\n");
    }

    private static String markerId(String color) {
        return "dot-" + color.replaceAll("[^A-Za-z0-9]", "");
    }

    /** {min, max, step} of the y axis: nice steps covering every series and reference line of the panels. */
    private static double[] yRange(List<Panel> panels) {
        double yMin = 0, yMax = 0;
        for (Panel panel : panels) {
            for (Series s : panel.series())
                for (double y : s.y()) {
                    yMin = Math.min(yMin, y);
                    yMax = Math.max(yMax, y);
                }
            if (panel.reference() != null) {
                yMin = Math.min(yMin, panel.reference());
                yMax = Math.max(yMax, panel.reference());
            }
        }
        double step = niceStep((yMax - yMin) / 5);
        yMin = Math.floor(yMin / step) * step;
        yMax = Math.max(yMin + step, Math.ceil(yMax / step) * step);
        return new double[] {yMin, yMax, step};
    }

    /** What a panel hands on for each of its series: the series and its points in the panel's coordinates. */
    private interface Lines {
        void add(Series s, String points);
    }

    /** A panel's title, frame, grid, ticks, labels and reference line; its series' points go to {@code lines}. */
    private static void panel(StringBuilder svg, Panel panel, double[] yRange, boolean yLabels, Lines lines) {
        int plotW = PANEL_W - LEFT - RIGHT, plotH = PANEL_H - TOP - BOTTOM;
        List<Double> xs = new ArrayList<>();
        for (Series s : panel.series()) for (double x : s.x()) if (!xs.contains(x)) xs.add(x);
        double yMin = yRange[0], yMax = yRange[1], step = yRange[2];
        double xMin =
                xs.stream().mapToDouble(x -> scaleX(x, panel.logX())).min().orElse(0);
        double xMax =
                xs.stream().mapToDouble(x -> scaleX(x, panel.logX())).max().orElse(1);
        if (xMax == xMin) xMax = xMin + 1;
        double x0 = xMin, x1 = xMax, y0 = yMin, y1 = yMax;
        DoubleUnaryOperator px = x -> LEFT + (scaleX(x, panel.logX()) - x0) / (x1 - x0) * plotW;
        DoubleUnaryOperator py = y -> TOP + (1 - (y - y0) / (y1 - y0)) * plotH;

        svg.append(String.format(
                Locale.ROOT,
                "<text x=\"%d\" y=\"16\" text-anchor=\"middle\" font-size=\"12\">%s</text>%n",
                LEFT + plotW / 2,
                escape(panel.title())));
        svg.append(String.format(
                Locale.ROOT,
                "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#333\"/>%n",
                LEFT,
                TOP,
                plotW,
                plotH));
        StringBuilder grid = new StringBuilder();
        for (double y = yMin; y <= yMax + step / 2; y += step) {
            double at = py.applyAsDouble(y);
            grid.append(String.format(Locale.ROOT, "M%d %.1fH%d", LEFT, at, LEFT + plotW));
            if (yLabels)
                svg.append(String.format(
                        Locale.ROOT,
                        "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>%n",
                        LEFT - 4,
                        at + 4,
                        number(y)));
        }
        svg.append(String.format(Locale.ROOT, "<path d=\"%s\" stroke=\"#ddd\"/>%n", grid));
        List<Double> ticks = xs;
        if (xs.size() > MAX_MEASURED_TICKS && !panel.logX()) {
            double xStep = niceStep((x1 - x0) / 5);
            ticks = new ArrayList<>();
            for (double x = Math.ceil(x0 / xStep) * xStep; x <= x1 + xStep / 1e6; x += xStep) ticks.add(x);
        } else if (xs.size() > MAX_MEASURED_TICKS) { // log axis: 1, 2, 5 × powers of ten inside the range
            ticks = new ArrayList<>();
            for (int e = (int) Math.floor(x0); e <= Math.ceil(x1); e++)
                for (double m : new double[] {1, 2, 5}) {
                    double x = m * Math.pow(10, e);
                    if (Math.log10(x) >= x0 - 1e-9 && Math.log10(x) <= x1 + 1e-9) ticks.add(x);
                }
        }
        StringBuilder tickMarks = new StringBuilder();
        for (double x : ticks) {
            double at = px.applyAsDouble(x);
            tickMarks.append(String.format(Locale.ROOT, "M%.1f %dv4", at, TOP + plotH));
            svg.append(String.format(
                    Locale.ROOT,
                    "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>%n",
                    at,
                    TOP + plotH + 16,
                    number(x)));
        }
        if (!ticks.isEmpty()) svg.append(String.format(Locale.ROOT, "<path d=\"%s\" stroke=\"#333\"/>%n", tickMarks));
        svg.append(String.format(
                Locale.ROOT,
                "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>%n",
                LEFT + plotW / 2,
                TOP + plotH + 32,
                escape(panel.xLabel())));
        if (yLabels)
            svg.append(String.format(
                    Locale.ROOT,
                    "<text transform=\"translate(14,%d) rotate(-90)\" text-anchor=\"middle\">%s</text>%n",
                    TOP + plotH / 2,
                    escape(panel.yLabel())));
        if (panel.reference() != null) {
            double at = py.applyAsDouble(panel.reference());
            horizontal(svg, at, plotW, "stroke=\"#888\" stroke-dasharray=\"5,4\"");
            svg.append(String.format(
                    Locale.ROOT,
                    "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" fill=\"#666\">%s</text>%n",
                    LEFT + plotW - 4,
                    at - 4,
                    escape(panel.referenceLabel())));
        }
        for (Series s : panel.series()) {
            StringBuilder points = new StringBuilder();
            for (int k = 0; k < s.x().length; k++)
                points.append(String.format(
                        Locale.ROOT, "%.1f,%.1f ", px.applyAsDouble(s.x()[k]), py.applyAsDouble(s.y()[k])));
            lines.add(s, points.toString().strip());
        }
    }

    /** Legend entries per panel width: two, or one when a name is long. */
    private static int perRow(List<Series> legend) {
        return legend.stream().anyMatch(s -> s.name().length() > 24) ? 1 : 2;
    }

    private static double scaleX(double x, boolean log) {
        return log ? Math.log10(x) : x;
    }

    /** 1, 2 or 5 times a power of ten, at least {@code raw}. */
    static double niceStep(double raw) {
        if (!(raw > 0)) return 1;
        double p = Math.pow(10, Math.floor(Math.log10(raw)));
        for (double m : new double[] {1, 2, 5, 10}) if (m * p >= raw) return m * p;
        return 10 * p;
    }

    private static String number(double v) {
        if (Math.abs(v - Math.rint(v)) < 1e-9) return String.format(Locale.ROOT, "%d", Math.round(v));
        String s = String.format(Locale.ROOT, "%.3g", v);
        return s.contains(".") && !s.contains("e") ? s.replaceAll("0+$", "").replaceAll("\\.$", "") : s;
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    /** A line across the plot at height {@code at} (grid lines, the reference line), drawn in {@code style}. */
    private static void horizontal(StringBuilder svg, double at, int plotW, String style) {
        svg.append(String.format(
                Locale.ROOT,
                "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" %s/>%n",
                LEFT,
                at,
                LEFT + plotW,
                at,
                style));
    }
}
