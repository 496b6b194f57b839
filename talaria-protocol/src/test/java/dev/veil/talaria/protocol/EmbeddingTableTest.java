package dev.veil.talaria.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.model.ModelConfig;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The embedding table's wire form and the setup plan's local products. */
class EmbeddingTableTest {

    private static final ModelConfig C = ModelConfig.of(ModelConfig.Architecture.QWEN2, 3, 4, 8, 1, 2, 1, 2)
            .withNorm(1e-6, 1e6, null)
            .withTokens(64, true, true, -1, List.of(2))
            .withTorchDtype("bfloat16");

    @Test
    void aBf16TableTravelsAsItsOwnBytesWithTheFinalNorm() {
        ByteBuffer raw = ByteBuffer.allocate(3 * 4 * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 12; i++) raw.putShort((short) (0x3f80 + i)); // 1.0, then the next bfloat16 values up
        raw.flip();
        V2Codec.Body body = EmbeddingTable.encode(3, 4, true, raw, new float[] {1, 2, 3, 4});
        EmbeddingTable t = EmbeddingTable.decode(body.bytes(), body.jsonLength(), C);
        assertThat(t.f32()).isNull();
        // the table's own little-endian bytes: elements 0 and 1 read as one int hold element 0 in the low half
        assertThat(t.bf16().byteSize()).isEqualTo(24);
        int first = t.bf16().get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
        assertThat(first).isEqualTo(0x3f81_3f80);
        assertThat(Float.intBitsToFloat(first << 16)).isEqualTo(1.0f);
        assertThat(t.bf16().get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 22))
                .isEqualTo((short) 0x3f8b);
        assertThat(t.finalNorm()).containsExactly(1, 2, 3, 4);
        assertThat(t.byteSize()).isEqualTo(24);
    }

    @Test
    void anF32TableWithoutNormAndATableOfAnotherModelIsRefused() {
        ByteBuffer raw = ByteBuffer.allocate(3 * 4 * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 12; i++) raw.putFloat(i * 0.5f);
        raw.flip();
        V2Codec.Body body = EmbeddingTable.encode(3, 4, false, raw, null);
        EmbeddingTable t = EmbeddingTable.decode(body.bytes(), body.jsonLength(), C);
        assertThat(t.f32()).containsExactly(0f, 0.5f, 1f, 1.5f, 2f, 2.5f, 3f, 3.5f, 4f, 4.5f, 5f, 5.5f);
        assertThat(t.finalNorm()).isNull();
        ModelConfig wider = ModelConfig.of(ModelConfig.Architecture.QWEN2, 3, 6, 8, 1, 2, 1, 2)
                .withNorm(1e-6, 1e6, null)
                .withTokens(64, true, true, -1, List.of(2))
                .withTorchDtype("bfloat16");
        assertThatThrownBy(() -> EmbeddingTable.decode(body.bytes(), body.jsonLength(), wider))
                .hasMessageContaining("embedding shape [3,4], expected [3, 6]");
    }

    @Test
    void localProductsTravelInTheSetupRequestAndNeedNothingFromTheAuthority() {
        SetupPlan plan = new SetupPlan(MaskSpec.pool(8), MaskSpec.pool(8), 1, Set.of(Product.EMBED, Product.LM_HEAD));
        SetupRequest back = SetupRequest.fromJson(new SetupRequest(MaskPrg.newSeed(), plan).toJson());
        assertThat(back.plan()).isEqualTo(plan);
        assertThat(plan.capPools(3).local()).isEqualTo(plan.local());
        assertThat(plan.spec(ModelName.EMBED)).isEqualTo(MaskSpec.NONE);
        assertThat(plan.spec(ModelName.LM_HEAD)).isEqualTo(MaskSpec.NONE);
        assertThat(plan.checkVectors(ModelName.LM_HEAD)).isZero();
        assertThat(plan.spec(new ModelName(Product.QKV, 0))).isEqualTo(MaskSpec.pool(8));
        assertThat(plan.checkVectors(new ModelName(Product.QKV, 0))).isEqualTo(1);
        assertThat(SetupBundle.Shapes.of(ModelName.EMBED, C, plan)).isEqualTo(new SetupBundle.Shapes(0, 0, 0, 0));
        assertThatThrownBy(() -> new SetupPlan(MaskSpec.NONE, MaskSpec.NONE, 0, Set.of(Product.QKV)))
                .hasMessageContaining("only the embedding and the LM head");
    }
}
