package dev.veil.talaria.client;

import dev.veil.engine.kernel.Parallel;
import dev.veil.engine.kernel.VectorMath;
import dev.veil.model.ModelConfig;
import dev.veil.talaria.protocol.EmbeddingTable;
import dev.veil.talaria.protocol.V2Codec;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The embedding table an attested client holds ({@code --embed local}, design D1's alternative): token rows looked up
 * here instead of a masked V-wide one-hot row sent to the cloud, and with {@code --head local} (tied models) the
 * logits computed here as {@code (x ⊙ γ)·Eᵀ} by the local engine's own BF16 kernel ({@code VectorMath.dotBF16Pairs}
 * in engine-core, on the table's bytes as the engine runs it on a mapped file's rows), so the logits are the local
 * engine's bit for bit.
 */
final class LocalTables {

    private static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final EmbeddingTable table;
    private final int dim;

    LocalTables(EmbeddingTable table) {
        this.table = table;
        this.dim = table.dim();
    }

    EmbeddingTable table() {
        return table;
    }

    /** Tables fetched in this process, by table server: runtimes of one process (a gateway's users) share one copy. */
    private static final Map<URI, CompletableFuture<LocalTables>> FETCHED = new ConcurrentHashMap<>();

    /**
     * The table of {@code base}'s table server, fetched once per process (in the background, from the first call) and
     * checked against {@code c}. A failed fetch is forgotten, so the next runtime tries again.
     */
    static CompletableFuture<LocalTables> shared(URI base, ModelConfig c) {
        CompletableFuture<LocalTables> f = FETCHED.computeIfAbsent(
                base,
                b -> CompletableFuture.supplyAsync(
                        () -> new LocalTables(fetch(b, c)),
                        r -> Thread.ofVirtual().name("talaria-tables").start(r)));
        f.whenComplete((t, e) -> {
            if (e != null) FETCHED.remove(base, f);
        });
        return f.thenApply(t -> {
            if (t.table.vocab() != c.vocabSize() || t.dim != c.hiddenSize())
                throw new TalariaException("the table from " + base + " is not this model's");
            return t;
        });
    }

    /** Fetches the table from the vendor's table server ({@code GET base/v1/talaria/embedding}), checked against {@code c}. */
    static EmbeddingTable fetch(URI base, ModelConfig c) {
        URI endpoint = URI.create(base.toString().replaceAll("/+$", "") + EmbeddingTable.PATH);
        try (HttpClient http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10))
                .build()) {
            HttpResponse<InputStream> r = http.send(
                    HttpRequest.newBuilder(endpoint)
                            .timeout(Duration.ofMinutes(10))
                            .GET()
                            .build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream body = r.body()) {
                if (r.statusCode() != 200)
                    throw new TalariaException("table server " + endpoint + " refused (HTTP " + r.statusCode() + "): "
                            + new String(body.readAllBytes(), StandardCharsets.UTF_8));
                int json = Integer.parseInt(r.headers()
                        .firstValue(V2Codec.HEADER_LENGTH)
                        .orElseThrow(() -> new TalariaException(
                                "table server " + endpoint + " reply lacks " + V2Codec.HEADER_LENGTH))
                        .trim());
                return EmbeddingTable.decode(body, json, c);
            }
        } catch (IOException e) {
            throw new TalariaException("table server " + endpoint + " unreachable: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TalariaException("interrupted while fetching the embedding table", e);
        } catch (IllegalArgumentException e) {
            throw new TalariaException("table server " + endpoint + " sent an unusable table: " + e.getMessage(), e);
        }
    }

    /** {@code out[i] = E[tokens[i]]}. */
    void embed(int[] tokens, float[] out) {
        for (int i = 0; i < tokens.length; i++) {
            int t = tokens[i];
            if (t < 0 || t >= table.vocab())
                throw new IllegalArgumentException("token id " + t + " is outside the vocabulary of " + table.vocab());
            if (table.f32() != null) {
                System.arraycopy(table.f32(), t * dim, out, i * dim, dim);
            } else {
                MemorySegment w = table.bf16();
                long base = (long) t * dim * 2;
                for (int q = 0; q < dim / 2; q++) {
                    int pair = w.get(LE_INT, base + 4L * q);
                    out[i * dim + 2 * q] = Float.intBitsToFloat(pair << 16);
                    out[i * dim + 2 * q + 1] = Float.intBitsToFloat(pair & 0xffff0000);
                }
            }
        }
    }

    /** Whether the table can serve as the LM head (a tied model's table with its final norm). */
    boolean hasHead() {
        return table.finalNorm() != null;
    }

    /** Logits {@code out[n × V] = (x ⊙ γ_final)·Eᵀ} for {@code n} normalised rows (without γ) of {@code x}. */
    void logits(Parallel parallel, float[] x, int n, float[] out) {
        if (!hasHead()) throw new TalariaException("this table carries no LM head (not a tied model)");
        float[] in = new float[n * dim];
        VectorMath.mulRows(x, n, table.finalNorm(), in);
        int vocab = table.vocab();
        if (table.f32() != null) {
            float[] w = table.f32();
            parallel.forRange(vocab, 64, (from, to) -> {
                for (int r = from; r < to; r++)
                    for (int t = 0; t < n; t++) out[t * vocab + r] = VectorMath.dot(w, r * dim, in, t * dim, dim);
            });
            return;
        }
        float[] pairs = VectorMath.splitPairs(in, n, dim);
        MemorySegment w = table.bf16();
        int half = dim / 2;
        parallel.forRange(vocab, 64, (from, to) -> {
            for (int r = from; r < to; r++)
                for (int t = 0; t < n; t++)
                    out[t * vocab + r] = VectorMath.dotBF16Pairs(w, (long) r * half * 4, pairs, t * dim, half);
        });
    }
}
