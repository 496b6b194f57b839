package dev.veil.talaria.cloud;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.veil.model.DType;
import dev.veil.model.ModelConfig;
import dev.veil.model.Tensor;
import dev.veil.model.Weights;
import dev.veil.talaria.protocol.EmbeddingTable;
import dev.veil.talaria.protocol.V2Codec;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Hands the embedding table to clients that may hold it ({@code GET /v1/talaria/embedding}, an {@link EmbeddingTable}
 * body): the client then looks its rows up itself, and for a tied model can compute the LM head too (design D1's
 * alternative). What it hands over is model IP — the whole embedding table, which for a tied model is also the LM head,
 * and the final norm weight — so the vendor runs it beside the setup authority, in its attested environment, and
 * serves only attested client images; never the cloud's job.
 */
public final class TableServer implements AutoCloseable {

    private final HttpServer http;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final V2Codec.Body body;
    private final AtomicLong served = new AtomicLong();

    private TableServer(V2Codec.Body body, String host, int port) throws IOException {
        this.body = body;
        http = HttpServer.create(new InetSocketAddress(host, port), 16);
        http.setExecutor(executor);
        http.createContext("/", this::handle);
    }

    /** Serves {@code weights}' embedding table (in its stored type, BF16 or F32) and, for a tied model, γ_final. */
    public static TableServer start(ModelConfig c, Weights weights, String host, int port) throws IOException {
        // it checks no client yet: anyone who reaches it gets the table, so it serves this machine only
        if (!InetAddress.getByName(host).isLoopbackAddress())
            throw new IllegalArgumentException(
                    "the table server authenticates no client yet: it serves loopback only, not " + host
                            + " (put it behind the vendor's attested gateway)");
        Tensor e = weights.get("model.embed_tokens.weight");
        if (e.rank() != 2 || e.rows() != c.vocabSize() || e.cols() != c.hiddenSize())
            throw new IllegalArgumentException("embedding table of shape " + Arrays.toString(e.shape()) + " for V = "
                    + c.vocabSize() + ", d = " + c.hiddenSize());
        if (e.dtype() != DType.BF16 && e.dtype() != DType.F32)
            throw new IllegalArgumentException(
                    "the embedding table is " + e.dtype() + ": only BF16 and F32 tables are served");
        float[] gamma = c.tieWordEmbeddings() ? weights.get("model.norm.weight").toFloats() : null;
        V2Codec.Body body = EmbeddingTable.encode(
                c.vocabSize(),
                c.hiddenSize(),
                e.dtype() == DType.BF16,
                e.data().asByteBuffer().order(ByteOrder.LITTLE_ENDIAN),
                gamma);
        TableServer s = new TableServer(body, host, port);
        s.http.start();
        return s;
    }

    public URI uri() {
        return URI.create("http://" + http.getAddress().getHostString() + ":"
                + http.getAddress().getPort());
    }

    /** Tables handed out. */
    public long served() {
        return served.get();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            if (!ex.getRequestMethod().equals("GET")
                    || !ex.getRequestURI().getPath().equals(EmbeddingTable.PATH)) {
                Exchanges.sendError(
                        ex,
                        404,
                        ex.getRequestMethod() + " " + ex.getRequestURI().getPath()
                                + " is not an endpoint of the table server (GET " + EmbeddingTable.PATH + ")");
                return;
            }
            Exchanges.sendBinary(ex, body);
            served.incrementAndGet();
        }
    }

    @Override
    public void close() {
        http.stop(0);
        executor.shutdownNow();
    }
}
