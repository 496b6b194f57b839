package dev.veil.talaria.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.model.ModelConfig;
import dev.veil.talaria.cloud.TinyModels;
import org.junit.jupiter.api.Test;

/**
 * Bytes and round trips on the wire, measured three ways (the client's counters, the cloud's counters, a TCP relay
 * counting every byte) and compared with the formula: per decoder layer and row 6d + 2d_kv + 3d_ffn values
 * (4d + 2·d_q + 2d_kv + 3d_ffn when d_q ≠ d), the LM head d + V, and — Veil's addition for the masked one-hot
 * embedding — V + d; 4L + 2 round trips per forward pass (the paper's 4L + 1, plus the embedding).
 */
class WireAccountingTest {

    /** FP32 values crossing for one forward pass of {@code n} rows (logits for the last row only). */
    static long values(ModelConfig c, int n) {
        long d = c.hiddenSize(), q = c.qDim(), kv = c.kvDim(), ff = c.intermediateSize(), v = c.vocabSize();
        long perLayer = 4 * d + 2 * q + 2 * kv + 3 * ff;
        return n * (v + d) + n * c.numLayers() * perLayer + (d + v);
    }

    @Test
    void measuredTrafficMatchesTheFormula() throws Exception {
        for (ModelConfig config : new ModelConfig[] {TinyModels.qwen2(), TinyModels.llama()}) {
            try (Harness h = new Harness(config, 51);
                    ByteCountingProxy wire = new ByteCountingProxy(h.cloud.uri())) {
                MaskedRemoteBackend client = h.client(wire.uri(), TalariaOptions.DEFAULT);
                int[] prompt = h.prompts(1, 4).getFirst();
                int generated = 12;
                long calls0 = h.cloud.stats().calls();
                long up0 = wire.upstream.get(), down0 = wire.downstream.get();
                WireStats.Snapshot before = client.stats().snapshot();
                Harness.greedy(client, prompt, generated);
                WireStats.Snapshot s = client.stats().snapshot().minus(before);

                // one prefill pass of the prompt, then one decode pass per generated token but the last
                int passes = generated;
                long expectedValues = values(config, prompt.length) + (generated - 1) * values(config, 1);
                long expectedTrips = (long) passes * (4L * config.numLayers() + 2);
                assertThat(s.roundTrips()).isEqualTo(expectedTrips);
                assertThat(h.cloud.stats().calls() - calls0).isEqualTo(expectedTrips);
                assertThat(s.valuesSent() + s.valuesReceived()).isEqualTo(expectedValues);
                assertThat(s.retries()).isZero();

                // on the wire: every FP32 value is 4 bytes; the rest is HTTP + the V2 JSON header per round trip
                long wireBytes = (wire.upstream.get() - up0) + (wire.downstream.get() - down0);
                long payload = 4 * expectedValues;
                double overheadPerTrip = (double) (wireBytes - payload) / expectedTrips;
                assertThat(s.bytesSent() + s.bytesReceived()).isBetween(payload, wireBytes);
                assertThat(overheadPerTrip).isBetween(100.0, 1000.0);

                long decodeValues = values(config, 1);
                System.out.printf(
                        "[talaria] %s wire per decoded token: %d values = %d B payload (formula), %d round trips;"
                                + " measured HTTP+JSON overhead %.0f B per round trip -> %.0f B/token on the wire%n",
                        config.architecture(),
                        decodeValues,
                        4 * decodeValues,
                        4L * config.numLayers() + 2,
                        overheadPerTrip,
                        4 * decodeValues + overheadPerTrip * (4L * config.numLayers() + 2));
            }
        }
    }
}
