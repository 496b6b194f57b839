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

class SvgChartTest {

    private static Document parse(String svg) throws Exception {
        return DocumentBuilderFactory.newInstance()
                .newDocumentBuilder()
                .parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
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
        assertThat(((Element) lines.item(0)).getAttribute("stroke")).isEqualTo("#123456");
        assertThat(((Element) lines.item(0)).getAttribute("points").split(" ")).hasSize(200);
        // the second series takes the palette's second colour; only its 5 points carry markers
        assertThat(((Element) lines.item(1)).getAttribute("stroke")).isEqualTo(SvgChart.COLORS[1]);
        assertThat(doc.getElementsByTagName("circle").getLength()).isEqualTo(5);
        assertThat(svg).contains(">loss</text>").contains(">held-out</text>");
    }

    @Test
    void aSeriesWithUnequalCoordinatesIsRefused() {
        assertThatThrownBy(() -> new SvgChart.Series("s", new double[] {1, 2}, new double[] {1}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("2 x values and 1 y values");
    }
}
