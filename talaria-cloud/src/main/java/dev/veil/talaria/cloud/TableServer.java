package dev.veil.talaria.cloud;

import dev.veil.http.Exchange;
import dev.veil.http.HttpLimits;
import dev.veil.http.HttpService;
import dev.veil.http.Tls;
import dev.veil.model.DType;
import dev.veil.model.ModelConfig;
import dev.veil.model.Tensor;
import dev.veil.model.TensorOps;
import dev.veil.model.Weights;
import dev.veil.talaria.protocol.EmbeddingTable;
import dev.veil.talaria.protocol.V2Codec;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Hands the embedding table to clients that may hold it ({@code GET /v1/talaria/embedding}, an {@link EmbeddingTable}
 * body): the client then looks its rows up itself, and for a tied model can compute the LM head too (design D1's
 * alternative). What it hands over is model IP — the whole embedding table, which for a tied model is also the LM head,
 * and the final norm weight — so the vendor runs it beside the setup authority, in its attested environment, and
 * serves only attested client images; never the cloud's job. It runs on the shared {@link HttpService} (timeouts,
 * connection cap, no request body taken), with errors in KServe's shape ({@link V2Error}).
 */
public final class TableServer implements AutoCloseable {

    /** A GET has no body: anything more than this is refused from its Content-Length. */
    static final int MAX_BODY = 1024;

    /** 30 s to send a request, 30 s idle, 64 connections: a handful of attested clients, each reading one table. */
    public static final HttpLimits HTTP_LIMITS = HttpLimits.defaults().withMaxConnections(64);

    private final V2Codec.Body body;
    private final AtomicLong served = new AtomicLong();
    private final HttpService http;

    private TableServer(V2Codec.Body body, String host, int port, HttpLimits limits) throws IOException {
        this.body = body;
        this.http = HttpService.on(host, port, V2Error.SHAPE)
                .limits(limits)
                .bodyLimit(MAX_BODY)
                .start(this::handle);
    }

    /** Serves {@code weights}' embedding table (in its stored type, BF16 or F32) and, for a tied model, γ_final. */
    public static TableServer start(ModelConfig c, Weights weights, String host, int port) throws IOException {
        return start(c, weights, host, port, HTTP_LIMITS);
    }

    /** As {@link #start(ModelConfig, Weights, String, int)}, with these timeouts and connection cap. */
    public static TableServer start(ModelConfig c, Weights weights, String host, int port, HttpLimits limits)
            throws IOException {
        // it checks no client yet: anyone who reaches it gets the table, so it serves this machine only
        if (!Tls.isLoopback(host))
            throw new IllegalArgumentException(
                    "the table server authenticates no client yet: it serves loopback only, not " + host
                            + " (put it behind the vendor's attested gateway)");
        Tensor e = weights.get("model.embed_tokens.weight");
        if (e.rank() != 2 || e.rows() != c.vocabSize() || e.cols() != c.hiddenSize())
            throw new IllegalArgumentException("embedding table of shape " + Arrays.toString(e.shape()) + " for V = "
                    + c.vocabSize() + ", d = " + c.hiddenSize());
        // a quantized table is served dequantized: the rows the engine's lookup reads
        if (e.dtype().isQuantized()) e = TensorOps.convert(e, DType.F32);
        if (e.dtype() != DType.BF16 && e.dtype() != DType.F32)
            throw new IllegalArgumentException("the embedding table is " + e.dtype()
                    + ": only BF16, F32 and quantized (served as F32) tables are served");
        float[] gamma = c.tieWordEmbeddings() ? weights.get("model.norm.weight").toFloats() : null;
        V2Codec.Body body = EmbeddingTable.encode(
                c.vocabSize(),
                c.hiddenSize(),
                e.dtype() == DType.BF16,
                e.data().asByteBuffer().order(ByteOrder.LITTLE_ENDIAN),
                gamma);
        return new TableServer(body, host, port, limits);
    }

    public URI uri() {
        return http.uri();
    }

    /** Tables handed out. */
    public long served() {
        return served.get();
    }

    private void handle(Exchange ex) throws IOException, V2Error {
        if (!ex.method().equals("GET") || !ex.path().equals(EmbeddingTable.PATH))
            throw new V2Error(
                    404,
                    ex.method() + " " + ex.path() + " is not an endpoint of the table server (GET "
                            + EmbeddingTable.PATH + ")");
        ex.setHeader(V2Codec.HEADER_LENGTH, Integer.toString(body.jsonLength()));
        ex.send(200, V2Codec.CONTENT_TYPE, body.bytes());
        served.incrementAndGet();
    }

    @Override
    public void close() {
        http.close(Duration.ZERO);
    }
}
