package dev.veil.model.chart;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

class SvgChartTest {

    private static Document parse(String svg) throws Exception {
        return DocumentBuilderFactory.newInstance()
                .newDocumentBuilder()
                .parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
    }

    /** A line's colour: its own, else the one its series' group gives all of the series' lines. */
    private static String stroke(Node line) {
        Element e = (Element) line;
        return e.hasAttribute("stroke")
                ? e.getAttribute("stroke")
                : ((Element) e.getParentNode()).getAttribute("stroke");
    }

    @Test
    void aLongCurveIsALineWithoutMarkersAndKeepsItsColour() throws Exception {
        List<double[]> curve = new ArrayList<>();
        for (int step = 0; step < 200; step++) curve.add(new double[] {step, 8 - step / 50.0});
        String svg = SvgChart.figure(
                "loss",
                "step",
                "nats",
                List.of(
                        SvgChart.Series.of("train", "#123456", curve),
                        SvgChart.Series.of("held-out", null, curve.subList(0, 5))));
        Document doc = parse(svg);
        var lines = doc.getElementsByTagName("polyline");
        assertThat(lines.getLength()).isEqualTo(2);
        assertThat(stroke(lines.item(0))).isEqualTo("#123456");
        assertThat(((Element) lines.item(0)).getAttribute("points").split(" ")).hasSize(200);
        // the second series takes the palette's second colour; only its 5 points carry markers, one dot defined once
        assertThat(stroke(lines.item(1))).isEqualTo(SvgChart.COLORS[1]);
        assertThat(((Element) lines.item(0)).hasAttribute("marker-mid")).isFalse();
        assertThat(((Element) lines.item(1)).getAttribute("marker-mid")).isEqualTo("url(#dot-d62728)");
        var markers = doc.getElementsByTagName("marker");
        assertThat(markers.getLength()).isEqualTo(1);
        assertThat(((Element) markers.item(0)).getAttribute("id")).isEqualTo("dot-d62728");
        assertThat(doc.getElementsByTagName("circle").getLength()).isEqualTo(1);
        assertThat(svg).contains(">loss</text>").contains(">held-out</text>");
    }

    @Test
    void panelsOfOneQuantityShareTheLegendTheColoursAndTheYAxis() throws Exception {
        var a = new SvgChart.Series("a", new double[] {1, 2, 3}, new double[] {0.1, 0.2, 0.3});
        var b = new SvgChart.Series("b", new double[] {1, 2, 3}, new double[] {0.5, 0.4, 0.3});
        var bigB = new SvgChart.Series("b", new double[] {1, 2}, new double[] {0.9, 0.8});
        String svg = SvgChart.figure(
                "two sweeps",
                List.of(
                        new SvgChart.Panel("vs x", "x", "fraction", false, List.of(a, b), null, null),
                        new SvgChart.Panel("vs y", "y", "fraction", false, List.of(bigB), null, null)));
        Document doc = parse(svg);
        // one legend entry per name, though "b" is drawn in both panels, and "b" keeps its colour in the second panel
        assertThat(svg.split(">b</text>", -1)).hasSize(2);
        assertThat(svg.split(">a</text>", -1)).hasSize(2);
        var lines = doc.getElementsByTagName("polyline");
        assertThat(lines.getLength()).isEqualTo(3);
        assertThat(stroke(lines.item(2))).isEqualTo(stroke(lines.item(1))).isEqualTo(SvgChart.COLORS[1]);
        // "b"'s lines in the two panels are one group, which states the series' style once
        assertThat(lines.item(2).getParentNode()).isSameAs(lines.item(1).getParentNode());
        assertThat(lines.item(0).getParentNode()).isNotSameAs(lines.item(1).getParentNode());
        // one y range (0 to 1, from the second panel's 0.9) labelled once; both panels draw its six grid lines
        assertThat(svg.split(">fraction</text>", -1)).hasSize(2);
        assertThat(svg.split(">0.8</text>", -1)).hasSize(2);
        var paths = doc.getElementsByTagName("path");
        int grids = 0;
        for (int i = 0; i < paths.getLength(); i++) {
            Element p = (Element) paths.item(i);
            if (p.getAttribute("stroke").equals("#ddd")) {
                grids++;
                assertThat(p.getAttribute("d").split("M")).hasSize(7);
            }
        }
        assertThat(grids).isEqualTo(2);
    }

    @Test
    void aSeriesWithUnequalCoordinatesIsRefused() {
        assertThatThrownBy(() -> new SvgChart.Series("s", new double[] {1, 2}, new double[] {1}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("2 x values and 1 y values");
    }
}
