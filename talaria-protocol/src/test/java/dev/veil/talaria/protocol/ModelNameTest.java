package dev.veil.talaria.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.model.ModelConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

class ModelNameTest {

    static final ModelConfig CONFIG = ModelConfig.of(ModelConfig.Architecture.QWEN2, 300, 64, 160, 3, 4, 2, 16)
            .withNorm(1e-6, 10000, null)
            .withTokens(256, true, true, -1, List.of(1));

    @Test
    void everyProductHasAWireNameThatParsesBack() {
        List<ModelName> all = ModelName.all(CONFIG);
        assertThat(all).hasSize(4 * 3 + 2);
        assertThat(all.getFirst().toString()).isEqualTo("embed");
        assertThat(all.get(1).toString()).isEqualTo("layer.0.qkv");
        assertThat(all.get(4).toString()).isEqualTo("layer.0.down");
        assertThat(all.get(7).toString()).isEqualTo("layer.1.gate_up");
        assertThat(all.getLast().toString()).isEqualTo("lm_head");
        for (ModelName n : all)
            assertThat(ModelName.parse(n.toString(), CONFIG)).isEqualTo(n);
    }

    /** Qwen3-MoE: sparse layers have a router and two products per expert instead of gate_up and down. */
    @Test
    void expertProductsHaveWireNamesAndShapes() {
        var experts = new ModelConfig.Moe(3, 2, 40, true, 1, List.of(1));
        ModelConfig moe = ModelConfig.of(ModelConfig.Architecture.QWEN3_MOE, 300, 64, 160, 2, 4, 2, 16, experts)
                .withNorm(1e-6, 10000, null)
                .withTokens(256, true, false, -1, List.of(1));
        List<ModelName> all = ModelName.all(moe);
        assertThat(all.stream().map(ModelName::toString).toList())
                .containsExactly(
                        "embed",
                        "layer.0.qkv",
                        "layer.0.o",
                        "layer.0.router",
                        "layer.0.expert.0.gate_up",
                        "layer.0.expert.0.down",
                        "layer.0.expert.1.gate_up",
                        "layer.0.expert.1.down",
                        "layer.0.expert.2.gate_up",
                        "layer.0.expert.2.down",
                        "layer.1.qkv",
                        "layer.1.o",
                        "layer.1.gate_up",
                        "layer.1.down",
                        "lm_head");
        for (ModelName n : all) assertThat(ModelName.parse(n.toString(), moe)).isEqualTo(n);
        assertThat(new ModelName(Product.ROUTER, 0).outDim(moe)).isEqualTo(3);
        assertThat(new ModelName(Product.EXPERT_GATE_UP, 0, 2).outDim(moe)).isEqualTo(80);
        assertThat(new ModelName(Product.EXPERT_DOWN, 0, 2).inDim(moe)).isEqualTo(40);
        assertThatThrownBy(() -> ModelName.parse("layer.0.expert.3.down", moe)).hasMessageContaining("unknown model");
        assertThatThrownBy(() -> ModelName.parse("layer.0.router", CONFIG)).hasMessageContaining("unknown model");
        assertThatThrownBy(() -> new ModelName(Product.EXPERT_DOWN, 0)).hasMessageContaining("needs an expert index");
    }

    @Test
    void shapesFollowTheConfig() {
        assertThat(ModelName.EMBED.inDim(CONFIG)).isEqualTo(300);
        assertThat(ModelName.EMBED.outDim(CONFIG)).isEqualTo(64);
        ModelName qkv = new ModelName(Product.QKV, 2);
        assertThat(qkv.inDim(CONFIG)).isEqualTo(64);
        assertThat(qkv.outDim(CONFIG)).isEqualTo(4 * 16 + 2 * 2 * 16);
        assertThat(new ModelName(Product.DOWN, 0).inDim(CONFIG)).isEqualTo(160);
        assertThat(ModelName.LM_HEAD.outDim(CONFIG)).isEqualTo(300);
    }

    @Test
    void unknownNamesAreRefused() {
        assertThatThrownBy(() -> ModelName.parse("layer.3.qkv", CONFIG))
                .hasMessageContaining("layer index must be 0..2");
        assertThatThrownBy(() -> ModelName.parse("layer.x.o", CONFIG))
                .hasMessageContaining("unknown model 'layer.x.o'");
        assertThatThrownBy(() -> ModelName.parse("lm_head2", CONFIG)).hasMessageContaining("unknown model");
        assertThatThrownBy(() -> new ModelName(Product.QKV, -1)).hasMessageContaining("needs a layer index");
    }
}
