package dev.veil.talaria.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.engine.LinearOp;
import dev.veil.model.DType;
import dev.veil.model.ModelConfig;
import dev.veil.model.Tensor;
import dev.veil.model.Weights;
import dev.veil.talaria.cloud.TinyModels;
import dev.veil.talaria.protocol.ModelName;
import dev.veil.talaria.protocol.Product;
import dev.veil.talaria.protocol.SetupBundle;
import dev.veil.talaria.protocol.SetupRequest;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * An attested client that holds the embedding table ({@code --embed local}) and, for a tied model, computes the LM head
 * from it ({@code --head local}): the output stays the plain engine's, the logits are the local engine's bit for bit
 * (BF16 table, the engine's kernel order), no embedding or LM-head call reaches the cloud, and the setup authority is
 * asked for nothing for those two products.
 */
class LocalTablesTest {

    /** The tiny Qwen2 model with every matrix in BF16, as real checkpoints ship. */
    private static Weights bf16(ModelConfig c, long seed) {
        Weights w = TinyModels.random(c, seed);
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (String name : w.names()) {
            Tensor t = w.get(name);
            out.put(name, t.rank() == 2 ? Tensor.of(name, DType.BF16, t.toFloats(), t.shape()) : t);
        }
        return Weights.of(out);
    }

    @Test
    void aTiedModelsEmbeddingAndHeadRunInTheClientWithThePlainEnginesOutput() throws Exception {
        ModelConfig c = TinyModels.qwen2();
        try (Harness h = new Harness(c, bf16(c, 71));
                V2Proxy wire = new V2Proxy(h.cloud.uri(), null)) {
            List<SetupBundle> bundles = new CopyOnWriteArrayList<>();
            List<SetupRequest> requests = new CopyOnWriteArrayList<>();
            HttpSetupService authority = new HttpSetupService(h.setup.uri());
            SetupService recording = (request, config) -> {
                requests.add(request);
                SetupService.Reply r = authority.setup(request, config);
                bundles.add(r.bundle());
                return r;
            };
            TalariaOptions options = TalariaOptions.DEFAULT.withLocal(true, true);
            var backend = new MaskedRemoteBackend(
                    new CloudConnection(wire.uri(), CloudConnection.Retry.DEFAULT), recording, options, h.tables.uri());
            try (backend;
                    authority) {
                for (int[] prompt : h.prompts(6, 3))
                    assertThat(Harness.greedy(backend, prompt, 6)).isEqualTo(Harness.greedy(h.local, prompt, 6));

                float[] x = new float[2 * c.hiddenSize()];
                Random r = new Random(9);
                for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
                float[] mine = new float[2 * c.vocabSize()], engines = new float[2 * c.vocabSize()];
                backend.apply(LinearOp.LM_HEAD, 0, x, 2, mine);
                h.local.apply(LinearOp.LM_HEAD, 0, x, 2, engines);
                assertThat(mine).as("logits, bit for bit").isEqualTo(engines);
            }
            assertThat(wire.calls).isNotEmpty();
            assertThat(wire.calls)
                    .noneMatch(
                            call -> call.model().equals("embed") || call.model().equals("lm_head"));
            assertThat(requests)
                    .isNotEmpty()
                    .allMatch(q -> q.plan().local().equals(Set.of(Product.EMBED, Product.LM_HEAD)));
            for (SetupBundle b : bundles)
                for (ModelName n : List.of(ModelName.EMBED, ModelName.LM_HEAD)) {
                    SetupBundle.Material m = b.get(n);
                    assertThat(m.poolU().length + m.checkW().length + m.checkB().length + m.rPub().length)
                            .as("authority material for %s", n)
                            .isZero();
                }
        }
    }

    @Test
    void anUntiedModelKeepsItsHeadRemoteAndMayHoldTheEmbedding() throws Exception {
        ModelConfig c = TinyModels.llama();
        try (Harness h = new Harness(c, 72);
                V2Proxy wire = new V2Proxy(h.cloud.uri(), null)) {
            assertThatThrownBy(() -> h.client(TalariaOptions.DEFAULT.withLocal(true, true)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("tied model");
            MaskedRemoteBackend backend = h.client(wire.uri(), TalariaOptions.DEFAULT.withLocal(true, false));
            for (int[] prompt : h.prompts(4, 4))
                assertThat(Harness.greedy(backend, prompt, 5)).isEqualTo(Harness.greedy(h.local, prompt, 5));
            assertThat(wire.calls).noneMatch(call -> call.model().equals("embed"));
            assertThat(wire.calls).anyMatch(call -> call.model().equals("lm_head"));
        }
    }

    @Test
    void aLocalTableNeedsATableServer() throws Exception {
        ModelConfig c = TinyModels.qwen2();
        try (Harness h = new Harness(c, 73)) {
            assertThatThrownBy(() -> new MaskedRemoteBackend(
                            new CloudConnection(h.cloud.uri(), CloudConnection.Retry.DEFAULT),
                            new HttpSetupService(h.setup.uri()),
                            TalariaOptions.DEFAULT.withLocal(true, false),
                            (URI) null))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("--tables");
        }
    }
}
