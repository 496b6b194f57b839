package dev.veil.aloepri;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class AloePriParamsTest {

    @Test
    void defaultsFollowThePaperWithHCappedForSmallModels() {
        AloePriParams p = AloePriParams.paper(4096);
        assertThat(p).isEqualTo(new AloePriParams(0.3, 128, 1.0, 0.2, 8, 1e3));
        // Veil's defaults add noise on W_down at the frontier's knee (aloepri/README.md)
        assertThat(AloePriParams.defaults(4096))
                .isEqualTo(new AloePriParams(0.3, 128, 1.0, 0.2, 8, 1e3).withFfn(1, 0, 1));
        assertThat(AloePriParams.defaults(576).expansion()).isEqualTo(72);
        assertThat(AloePriParams.defaults(64).expansion()).isEqualTo(8);
        assertThat(AloePriParams.defaults(8).expansion()).isZero();
        assertThat(p.exact()).isEqualTo(new AloePriParams(0.3, 128, 0, 0, 1, 1e3).withRouterNorm(false));
    }

    @Test
    void outOfRangeParametersAreRefusedByName() {
        assertThatThrownBy(() -> new AloePriParams(0.3, 7, 1, 0.2, 8, 1e3))
                .hasMessageContaining("h (the hidden expansion) must be even");
        assertThatThrownBy(() -> new AloePriParams(0.3, -2, 1, 0.2, 8, 1e3))
                .hasMessageContaining("must be even and >= 0");
        assertThatThrownBy(() -> new AloePriParams(0, 8, 1, 0.2, 8, 1e3)).hasMessageContaining("lambda must be > 0");
        assertThatThrownBy(() -> new AloePriParams(Double.NaN, 8, 1, 0.2, 8, 1e3))
                .hasMessageContaining("lambda must be > 0");
        assertThatThrownBy(() -> new AloePriParams(0.3, 8, -1, 0.2, 8, 1e3))
                .hasMessageContaining("alpha-e must be >= 0");
        assertThatThrownBy(() -> new AloePriParams(0.3, 8, 1, -0.1, 8, 1e3))
                .hasMessageContaining("alpha-h must be >= 0");
        assertThatThrownBy(() -> new AloePriParams(0.3, 8, 1, 0.2, 0, 1e3)).hasMessageContaining("beta");
        assertThatThrownBy(() -> new AloePriParams(0.3, 8, 1, 0.2, 8, -1)).hasMessageContaining("gamma must be >= 0");
        assertThatThrownBy(() -> new AloePriParams(0.3, 8, 1, 0.2, 8, 1e3).withFfn(-1, 0, 1))
                .hasMessageContaining("alpha-down must be >= 0");
        assertThatThrownBy(() -> new AloePriParams(0.3, 8, 1, 0.2, 8, 1e3).withFfn(0, Double.NaN, 1))
                .hasMessageContaining("alpha-gate-up must be >= 0");
        assertThatThrownBy(() -> new AloePriParams(0.3, 8, 1, 0.2, 8, 1e3).withFfn(0, 0, 0))
                .hasMessageContaining("split");
    }

    @Test
    void depthScalingDividesTheFfnNoiseByTheRootOfTheLayerCountAndScaleNoiseMovesEveryNoise() {
        AloePriParams p = AloePriParams.paper(256).withFfn(2, 1, 1);
        assertThat(p.alphaDownPerLayer(16)).isEqualTo(2);
        AloePriParams d = p.withDepthScaled(true);
        assertThat(d.alphaDownPerLayer(4)).isEqualTo(1);
        assertThat(d.alphaDownPerLayer(16)).isEqualTo(0.5);
        assertThat(d.alphaGateUpPerLayer(16)).isEqualTo(0.25);
        assertThatThrownBy(() -> d.alphaDownPerLayer(0)).hasMessageContaining("at least one layer");
        AloePriParams half = d.scaleNoise(0.5);
        assertThat(half)
                .isEqualTo(new AloePriParams(0.3, 32, 0.5, 0.1, 8, 1e3)
                        .withFfn(1, 0.5, 1)
                        .withDepthScaled(true));
        assertThatThrownBy(() -> d.scaleNoise(-1)).hasMessageContaining("noise factor must be finite and >= 0");
        assertThatThrownBy(() -> d.scaleNoise(Double.POSITIVE_INFINITY))
                .hasMessageContaining("noise factor must be finite and >= 0");
    }
}
