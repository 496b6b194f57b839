package dev.veil.model.chart;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.DoubleUnaryOperator;

/**
 * Small line charts as standalone SVG: a figure is a row of panels, each with axes, ticks at the measured x values,
 * one polyline per series (with markers unless it is a long curve), an optional dashed reference line (a target) and a
 * legend. The one SVG helper of Veil: AloePri's experiment and frontier plots, the audit report's sweeps and a model
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
        int legendRows = panels.stream().mapToInt(SvgChart::legendRows).max().orElse(0);
        int width = PANEL_W * panels.size(),
                height = PANEL_H + TITLE_H + 13 * Math.max(0, legendRows - 2); // room for long legends
        StringBuilder svg = new StringBuilder();
        svg.append(String.format(
                Locale.ROOT,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                        + "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"11\">%n",
                width,
                height,
                width,
                height));
        svg.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", width, height));
        svg.append(String.format(
                Locale.ROOT,
                "<text x=\"%d\" y=\"20\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"bold\">%s</text>%n",
                width / 2,
                escape(title)));
        for (int p = 0; p < panels.size(); p++) {
            svg.append(String.format(Locale.ROOT, "<g transform=\"translate(%d,%d)\">%n", p * PANEL_W, TITLE_H));
            panel(svg, panels.get(p));
            svg.append("</g>\n");
        }
        return svg.append("</svg>\n").toString();
    }

    private static void panel(StringBuilder svg, Panel panel) {
        int plotW = PANEL_W - LEFT - RIGHT, plotH = PANEL_H - TOP - BOTTOM;
        List<Double> xs = new ArrayList<>();
        double yMin = 0, yMax = 0;
        for (Series s : panel.series()) {
            for (double x : s.x()) if (!xs.contains(x)) xs.add(x);
            for (double y : s.y()) {
                yMin = Math.min(yMin, y);
                yMax = Math.max(yMax, y);
            }
        }
        if (panel.reference() != null) {
            yMin = Math.min(yMin, panel.reference());
            yMax = Math.max(yMax, panel.reference());
        }
        double step = niceStep((yMax - yMin) / 5);
        yMin = Math.floor(yMin / step) * step;
        yMax = Math.max(yMin + step, Math.ceil(yMax / step) * step);
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
        for (double y = yMin; y <= yMax + step / 2; y += step) {
            double at = py.applyAsDouble(y);
            horizontal(svg, at, plotW, "stroke=\"#ddd\"");
            svg.append(String.format(
                    Locale.ROOT,
                    "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>%n",
                    LEFT - 4,
                    at + 4,
                    number(y)));
        }
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
        for (double x : ticks) {
            double at = px.applyAsDouble(x);
            svg.append(String.format(
                    Locale.ROOT,
                    "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#333\"/>%n",
                    at,
                    TOP + plotH,
                    at,
                    TOP + plotH + 4));
            svg.append(String.format(
                    Locale.ROOT,
                    "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>%n",
                    at,
                    TOP + plotH + 16,
                    number(x)));
        }
        svg.append(String.format(
                Locale.ROOT,
                "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>%n",
                LEFT + plotW / 2,
                TOP + plotH + 32,
                escape(panel.xLabel())));
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
        for (int i = 0; i < panel.series().size(); i++) {
            Series s = panel.series().get(i);
            String color = s.color() != null ? s.color() : COLORS[i % COLORS.length];
            StringBuilder points = new StringBuilder();
            for (int k = 0; k < s.x().length; k++)
                points.append(String.format(
                        Locale.ROOT, "%.1f,%.1f ", px.applyAsDouble(s.x()[k]), py.applyAsDouble(s.y()[k])));
            svg.append(String.format(
                    Locale.ROOT,
                    "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"/>%n",
                    points.toString().strip(),
                    color));
            for (int k = 0; k < s.x().length && s.x().length <= MAX_MARKERS; k++)
                svg.append(String.format(
                        Locale.ROOT,
                        "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>%n",
                        px.applyAsDouble(s.x()[k]),
                        py.applyAsDouble(s.y()[k]),
                        color));
            if (panel.series().size()
                    > 1) { // legend below the axis label, two entries per row (one when names are long)
                int perRow = perRow(panel);
                int lx = LEFT + (i % perRow) * (plotW / 2), ly = TOP + plotH + 48 + 13 * (i / perRow);
                svg.append(String.format(
                        Locale.ROOT,
                        "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"2\"/>%n",
                        lx,
                        ly - 4,
                        lx + 18,
                        ly - 4,
                        color));
                svg.append(String.format(
                        Locale.ROOT, "<text x=\"%d\" y=\"%d\">%s</text>%n", lx + 22, ly, escape(s.name())));
            }
        }
    }

    private static int perRow(Panel p) {
        return p.series().stream().anyMatch(s -> s.name().length() > 24) ? 1 : 2;
    }

    private static int legendRows(Panel p) {
        return p.series().size() > 1 ? Math.ceilDiv(p.series().size(), perRow(p)) : 0;
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
