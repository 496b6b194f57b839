package dev.veil.talaria.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.talaria.cloud.CloudServer;
import dev.veil.talaria.cloud.TinyModels;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

/** Many clients at once, a cloud that restarts mid-generation, a cloud that goes away, a cloud that cheats. */
class FaultsTest {

    @AutoClose
    static final Harness h = Harness.of(TinyModels.qwen2(), 41);

    @Test
    void sixteenConcurrentClientsEachGetTheirSequentialOutput() throws Exception {
        List<int[]> prompts = h.prompts(16, 3);
        List<int[]> sequential = new ArrayList<>();
        MaskedRemoteBackend one = h.client(TalariaOptions.DEFAULT);
        for (int[] p : prompts) sequential.add(Harness.greedy(one, p, 10));
        long callsBefore = h.cloud.stats().calls(),
                batchesBefore = h.cloud.stats().batches();
        List<Future<int[]>> concurrent = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int[] p : prompts) {
                MaskedRemoteBackend client = h.client(TalariaOptions.DEFAULT);
                concurrent.add(pool.submit(() -> Harness.greedy(client, p, 10)));
            }
            for (int i = 0; i < prompts.size(); i++) {
                assertThat(concurrent.get(i).get()).as("client %d", i).containsExactly(sequential.get(i));
                assertThat(sequential.get(i)).containsExactly(Harness.greedy(h.local, prompts.get(i), 10));
            }
        }
        long calls = h.cloud.stats().calls() - callsBefore,
                batches = h.cloud.stats().batches() - batchesBefore;
        System.out.printf(
                "[talaria] 16 concurrent clients: %d calls in %d matmuls (%.2f calls per matmul)%n",
                calls, batches, (double) calls / batches);
    }

    @Test
    void aCloudRestartMidGenerationIsRetriedAndTheOutputIsUnchanged() throws Exception {
        FaultyCloud cloud = new FaultyCloud();
        try {
            int[] prompt = h.prompts(1, 8).getFirst();
            int[] expected = Harness.greedy(h.local, prompt, 16);
            MaskedRemoteBackend client = h.client(cloud.server.get().uri(), TalariaOptions.DEFAULT);
            // after 60 calls (a few tokens in), stop the cloud, wait, start a new one on the same port
            Thread restarter = Thread.ofVirtual().start(() -> cloud.restartAfter(60, Duration.ofMillis(400)));
            int[] actual = Harness.greedy(client, prompt, 16);
            restarter.join();
            assertThat(actual).containsExactly(expected);
            assertThat(client.stats().retries()).isPositive();
            System.out.printf(
                    "[talaria] cloud restart: %d retries, output unchanged%n",
                    client.stats().retries());
        } finally {
            cloud.server.get().close();
        }
    }

    @Test
    void aCloudThatStaysDownFailsCleanlyNamingTheCall() throws Exception {
        FaultyCloud cloud = new FaultyCloud();
        MaskedRemoteBackend client = h.client(
                cloud.server.get().uri(),
                TalariaOptions.DEFAULT,
                new CloudConnection.Retry(Duration.ofMillis(500), Duration.ofMillis(20), Duration.ofMillis(100)));
        int[] prompt = h.prompts(1, 9).getFirst();
        Harness.greedy(client, prompt, 2);
        cloud.server.get().close();
        assertThatThrownBy(() -> Harness.greedy(client, prompt, 2))
                .isInstanceOf(CloudUnavailableException.class)
                .hasMessageContaining("did not answer embed")
                .hasMessageContaining("within 500 ms");
    }

    @Test
    void connectionsTheCloudClosedForIdlingAreReplacedWithoutARetry() throws Exception {
        var shortIdle =
                new CloudServer.Limits(Duration.ofSeconds(10), Duration.ofSeconds(10), Duration.ofMillis(100), 64);
        try (CloudServer cloud =
                CloudServer.start(h.folded, CloudServer.Options.loopback(0).withLimits(shortIdle))) {
            int[] prompt = h.prompts(1, 11).getFirst();
            MaskedRemoteBackend client = h.client(cloud.uri(), TalariaOptions.DEFAULT, CloudConnection.Retry.none());
            int[] first = Harness.greedy(client, prompt, 3);
            Thread.sleep(500); // the cloud closes the pooled connections meanwhile
            assertThat(Harness.greedy(client, prompt, 3)).containsExactly(first);
            assertThat(client.stats().retries()).isZero();
        }
    }

    @Test
    void aCheatingCloudIsDetected() throws Exception {
        int[] prompt = h.prompts(1, 10).getFirst();
        // 1% noise on one layer's products
        assertCheatingDetected(
                prompt,
                (model, sent, y) -> {
                    if (model.equals("layer.1.down"))
                        for (int i = 0; i < y.length; i++) y[i] *= 1 + 0.01f * (i % 2 == 0 ? 1 : -1);
                    return y;
                },
                "layer.1.down");
        // a lazy cloud that skips the LM head
        assertCheatingDetected(
                prompt, (model, sent, y) -> model.equals("lm_head") ? new float[y.length] : y, "lm_head");
        // a steering cloud: one logit pushed up by 50 (the masked logits are in the hundreds)
        assertCheatingDetected(
                prompt,
                (model, sent, y) -> {
                    if (model.equals("lm_head")) y[y.length - 1 - 17] += 50;
                    return y;
                },
                "lm_head");
        // and an honest proxy passes, showing how far honest replies stay from the tolerance
        try (V2Proxy honest = new V2Proxy(h.cloud.uri(), null)) {
            MaskedRemoteBackend client = h.client(honest.uri(), TalariaOptions.DEFAULT.withCheckVectors(2));
            assertThat(Harness.greedy(client, prompt, 8)).containsExactly(Harness.greedy(h.local, prompt, 8));
            System.out.printf(
                    "[talaria] integrity check: worst honest deviation %.3g (tolerance %.0e)%n",
                    client.worstCheckDeviation(), ProductMasker.CHECK_TOLERANCE);
            assertThat(client.worstCheckDeviation()).isLessThan(ProductMasker.CHECK_TOLERANCE / 10);
        }
    }

    private void assertCheatingDetected(int[] prompt, V2Proxy.Tamper tamper, String model) throws Exception {
        try (V2Proxy cheat = new V2Proxy(h.cloud.uri(), tamper)) {
            MaskedRemoteBackend client = h.client(cheat.uri(), TalariaOptions.DEFAULT.withCheckVectors(2));
            assertThatThrownBy(() -> Harness.greedy(client, prompt, 8))
                    .isInstanceOf(IntegrityException.class)
                    .hasMessageContaining("reply for " + model + " failed the integrity check");
        }
    }

    /** A cloud on a fixed port that can be stopped and started again. */
    final class FaultyCloud {
        final AtomicReference<CloudServer> server = new AtomicReference<>();
        final int port;

        FaultyCloud() throws Exception {
            server.set(CloudServer.start(h.folded, CloudServer.Options.loopback(0)));
            port = server.get().port();
        }

        void restartAfter(long calls, Duration down) {
            try {
                while (server.get().stats().calls() < calls) Thread.sleep(1);
                server.get().close();
                Thread.sleep(down.toMillis());
                server.set(CloudServer.start(h.folded, CloudServer.Options.loopback(port)));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
