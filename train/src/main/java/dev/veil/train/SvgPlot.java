package dev.veil.train;

import java.util.List;
import java.util.Locale;

/** A small line chart as standalone SVG: the training curve of a model card, viewable on any forge. */
public final class SvgPlot {
    private SvgPlot() {}

    public record Series(String name, String color, List<double[]> points) {}

    private static final int W = 720, H = 400, LEFT = 64, RIGHT = 20, TOP = 36, BOTTOM = 52;

    public static String lines(String title, String xLabel, String yLabel, List<Series> series) {
        double x0 = Double.MAX_VALUE, x1 = -Double.MAX_VALUE, y0 = Double.MAX_VALUE, y1 = -Double.MAX_VALUE;
        for (Series s : series)
            for (double[] p : s.points()) {
                x0 = Math.min(x0, p[0]);
                x1 = Math.max(x1, p[0]);
                y0 = Math.min(y0, p[1]);
                y1 = Math.max(y1, p[1]);
            }
        if (x0 > x1) {
            x0 = 0;
            x1 = 1;
            y0 = 0;
            y1 = 1;
        }
        x0 = 0;
        y0 = Math.floor(y0);
        y1 = Math.ceil(y1);
        if (x1 <= x0) x1 = x0 + 1;
        if (y1 <= y0) y1 = y0 + 1;
        StringBuilder sb = new StringBuilder();
        sb.append(f(
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">%n",
                W, H, W, H));
        sb.append(f("<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", W, H));
        sb.append(
                f("<text x=\"%d\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">%s</text>%n", W / 2, escape(title)));
        int pw = W - LEFT - RIGHT, ph = H - TOP - BOTTOM;
        for (int i = 0; i <= 5; i++) {
            double yv = y0 + (y1 - y0) * i / 5, xv = x0 + (x1 - x0) * i / 5;
            double py = TOP + ph - ph * (yv - y0) / (y1 - y0), px = LEFT + pw * (xv - x0) / (x1 - x0);
            sb.append(f(
                    "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>%n", LEFT, py, LEFT + pw, py));
            sb.append(f("<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>%n", LEFT - 6, py + 4, number(yv)));
            sb.append(f("<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>%n", px, TOP + ph + 18, number(xv)));
        }
        sb.append(f(
                "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#333\"/>%n",
                LEFT, TOP, pw, ph));
        sb.append(
                f("<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>%n", LEFT + pw / 2, H - 12, escape(xLabel)));
        sb.append(f(
                "<text x=\"16\" y=\"%d\" text-anchor=\"middle\" transform=\"rotate(-90 16 %d)\">%s</text>%n",
                TOP + ph / 2, TOP + ph / 2, escape(yLabel)));
        int legendY = TOP + 16;
        for (Series s : series) {
            StringBuilder pts = new StringBuilder();
            for (double[] p : s.points())
                pts.append(
                        f("%.1f,%.1f ", LEFT + pw * (p[0] - x0) / (x1 - x0), TOP + ph - ph * (p[1] - y0) / (y1 - y0)));
            sb.append(f(
                    "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" points=\"%s\"/>%n",
                    s.color(), pts.toString().strip()));
            sb.append(f(
                    "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"3\"/>%n",
                    LEFT + pw - 290, legendY - 4, LEFT + pw - 270, legendY - 4, s.color()));
            sb.append(f("<text x=\"%d\" y=\"%d\">%s</text>%n", LEFT + pw - 264, legendY, escape(s.name())));
            legendY += 18;
        }
        sb.append("</svg>\n");
        return sb.toString();
    }

    private static String number(double v) {
        return Math.abs(v - Math.rint(v)) < 1e-9 ? Long.toString(Math.round(v)) : f("%.2f", v);
    }

    private static String f(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
