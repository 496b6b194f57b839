package dev.veil.talaria.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.engine.GenerationOptions;
import dev.veil.engine.SamplingParams;
import dev.veil.engine.TokenListener;
import dev.veil.model.ModelConfig;
import dev.veil.talaria.cloud.TinyModels;
import dev.veil.talaria.protocol.InferTensor;
import dev.veil.talaria.protocol.SetupRequest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * {@link TalariaRuntime} prepares the next request's setup in the background: outputs stay the plain engine's, every
 * request gets its own fresh seed (so no one-time pool row serves two requests), a prepared setup backs one request
 * only, and a request larger than the prepared pools sets up on its own path.
 */
class PrefetchTest {

    /** A setup service that notes each request's seed, pool size and the thread it ran on. */
    private record Recorded(String seed, int poolRows, boolean background) {}

    @Test
    void everyRequestGetsAFreshPreparedSetupAndTheSameOutput() throws Exception {
        ModelConfig c = TinyModels.qwen2();
        int tokens = 5;
        try (Harness h = new Harness(c, 61);
                V2Proxy wire = new V2Proxy(h.cloud.uri(), null)) {
            List<Recorded> setups = new CopyOnWriteArrayList<>();
            HttpSetupService authority = new HttpSetupService(h.setup.uri());
            SetupService recording = new SetupService() {
                @Override
                public Reply setup(SetupRequest request, ModelConfig config) {
                    setups.add(new Recorded(
                            HexFormat.of().formatHex(request.seed()),
                            request.plan().hidden().poolRows(),
                            Thread.currentThread().getName().equals("talaria-prefetch")));
                    return authority.setup(request, config);
                }

                @Override
                public void close() {
                    authority.close();
                }
            };
            int[] prompt = new Random(5).ints(6, 0, c.vocabSize()).toArray();
            int[] longer = new Random(6).ints(20, 0, c.vocabSize()).toArray();
            int[] expected = Harness.greedy(h.local, prompt, tokens);
            int[] expectedLonger = Harness.greedy(h.local, longer, tokens);
            GenerationOptions gen = new GenerationOptions(tokens, SamplingParams.GREEDY, Set.of());
            var backend = new MaskedRemoteBackend(
                    new CloudConnection(wire.uri(), CloudConnection.Retry.DEFAULT), recording, TalariaOptions.DEFAULT);
            try (TalariaRuntime runtime = new TalariaRuntime(backend)) {
                for (int i = 0; i < 3; i++) {
                    assertThat(runtime.generate(prompt, gen, TokenListener.NONE, id -> false)
                                    .outputIds())
                            .isEqualTo(expected);
                    runtime.awaitPrepared();
                }
                // 25 rows > the 14 prepared after an 11-row request (+ a quarter): set up on the path
                assertThat(runtime.generate(longer, gen, TokenListener.NONE, id -> false)
                                .outputIds())
                        .isEqualTo(expectedLonger);
                runtime.awaitPrepared();
                assertThat(runtime.stats().setups())
                        .as("sessions used: two for each request nothing prepared covered, else one")
                        .isEqualTo(6);
            }

            // request 1 (nothing prepared yet): the prompt's 6 rows on its path, the 5 decode rows in the background
            // while the prompt runs; 2 and 3 from the background; 4 too large: its 20 prompt rows on its path, 5 in the
            // background; one background setup after each request (the last one unused)
            assertThat(setups.stream().map(Recorded::background).toList())
                    .containsExactly(false, true, true, true, true, false, true, true);
            assertThat(setups.stream().map(Recorded::poolRows).toList()).containsExactly(6, 5, 14, 14, 14, 20, 5, 32);
            assertThat(setups.stream().map(Recorded::seed).distinct().count())
                    .as("fresh seed every setup")
                    .isEqualTo(setups.size());

            // the same prompt three times: had a pool row served two requests, some masked embedding row would repeat
            List<InferTensor> promptRows = new ArrayList<>();
            for (V2Proxy.Call call : wire.calls)
                if (call.model().equals("embed") && call.sent().rows() == prompt.length) promptRows.add(call.sent());
            assertThat(promptRows).hasSize(3);
            int v = c.vocabSize();
            for (int a = 0; a < 3; a++)
                for (int b = a + 1; b < 3; b++)
                    for (int r = 0; r < prompt.length; r++)
                        assertThat(Arrays.equals(
                                        promptRows.get(a).data(),
                                        r * v,
                                        (r + 1) * v,
                                        promptRows.get(b).data(),
                                        r * v,
                                        (r + 1) * v))
                                .as("row %d of requests %d and %d", r, a, b)
                                .isFalse();
        }
    }

    /**
     * A request holding the backend's lock may wait for a setup prepared in the background (a fresh client's first
     * request continues into one when its prompt's pool runs out): that setup must not need the lock. It once drew its
     * seed under the lock on the background thread, and a loaded machine that started the thread late deadlocked.
     */
    @Test
    void aSetupPreparedInTheBackgroundNeverWaitsForTheBackendsLock() throws Exception {
        try (Harness h = new Harness(TinyModels.qwen2(), 62)) {
            MaskedRemoteBackend backend = h.client(TalariaOptions.DEFAULT);
            Supplier<MaskedRemoteBackend.PreparedSetup> later = backend.preparer(12);
            synchronized (backend) {
                MaskedRemoteBackend.PreparedSetup p = CompletableFuture.supplyAsync(later)
                        .get(60, TimeUnit.SECONDS); // a bound on a hang, not a timing assertion
                assertThat(p.rows()).isEqualTo(12);
            }
        }
    }
}
