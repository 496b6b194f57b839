package dev.veil.talaria.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.engine.TestModels;
import dev.veil.model.ModelConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The default mask scale follows the model's depth; explicit scales are kept as given. */
class TalariaOptionsTest {

    @Test
    void theDefaultScaleGrowsWithTheSquareRootOfTheViewsPerPosition() {
        ModelConfig shallow = TestModels.qwen2();
        ModelConfig deep = ModelConfig.of(ModelConfig.Architecture.QWEN2, 320, 48, 136, 32, 6, 2, 8)
                .withNorm(1e-6, 1e6, null)
                .withTokens(256, true, true, -1, List.of(5, 7));
        TalariaOptions a = TalariaOptions.DEFAULT.resolve(shallow), b = TalariaOptions.DEFAULT.resolve(deep);
        assertThat(a.maskScale()).isEqualTo(TalariaOptions.PER_VIEW * Math.sqrt(4 * shallow.numLayers() + 2));
        assertThat(a.embedScale()).isEqualTo(a.maskScale());
        assertThat(b.maskScale() / a.maskScale())
                .isCloseTo(
                        Math.sqrt(130.0 / (4 * shallow.numLayers() + 2)), org.assertj.core.data.Offset.offset(1e-12));
    }

    @Test
    void explicitScalesAreKeptAndBadOnesRefused() {
        TalariaOptions o =
                TalariaOptions.DEFAULT.withMaskScale(3).withEmbedScale(5).resolve(TestModels.qwen2());
        assertThat(o.maskScale()).isEqualTo(3);
        assertThat(o.embedScale()).isEqualTo(5);
        assertThatThrownBy(() -> TalariaOptions.DEFAULT.withMaskScale(-1))
                .hasMessageContaining("mask scale must be > 0");
        assertThatThrownBy(() -> TalariaOptions.DEFAULT.withMaskScale(Double.POSITIVE_INFINITY))
                .hasMessageContaining("mask scale must be > 0");
    }
}
