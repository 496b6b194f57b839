package dev.veil.talaria.client;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veil.talaria.cloud.TinyModels;
import dev.veil.talaria.protocol.ModelName;
import dev.veil.talaria.protocol.Product;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The cloud is untrusted: the client bounds what it reads from it. Replies larger than the product's shape needs,
 * chunked replies, endless header lines and a config.json with absurd sizes get a clear error, not an allocation.
 */
class UntrustedRepliesTest {

    /** A "cloud" that answers every request with {@code reply} and waits for the client to close. */
    static final class CannedCloud implements AutoCloseable {
        final ServerSocket socket;

        CannedCloud(String reply) throws Exception {
            socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            Thread.ofVirtual().start(() -> {
                while (!socket.isClosed()) {
                    try (Socket s = socket.accept()) {
                        BufferedReader in = new BufferedReader(
                                new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
                        int length = 0;
                        for (String line; (line = in.readLine()) != null && !line.isEmpty(); )
                            if (line.toLowerCase().startsWith("content-length:"))
                                length = Integer.parseInt(line.substring(15).strip());
                        for (long left = length; left > 0; ) left -= in.skip(left);
                        s.getOutputStream().write(reply.getBytes(StandardCharsets.ISO_8859_1));
                        s.getOutputStream().flush();
                        while (in.read() >= 0) {
                            // until the client gives up on the reply
                        }
                    } catch (Exception e) {
                        // closed
                    }
                }
            });
        }

        URI uri() {
            return URI.create("http://127.0.0.1:" + socket.getLocalPort());
        }

        @Override
        public void close() throws Exception {
            socket.close();
        }
    }

    static void inferFrom(String reply, Transport.Kind kind, String error) throws Exception {
        try (CannedCloud cloud = new CannedCloud(reply);
                CloudConnection c = new CloudConnection(cloud.uri(), CloudConnection.Retry.none(), kind)) {
            assertThatThrownBy(() -> c.infer(new ModelName(Product.QKV, 0), new float[64], 1, 64, 128))
                    .isInstanceOf(TalariaException.class)
                    .hasMessageContaining(error);
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.Kind.class)
    void aReplyLargerThanTheShapeNeedsIsRefused(Transport.Kind kind) throws Exception {
        // one row of 128 floats needs 512 bytes and a JSON header
        inferFrom(
                "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 2000000000\r\n\r\n",
                kind,
                "has 2000000000 bytes, more than the " + (CloudConnection.REPLY_OVERHEAD + 512));
    }

    @ParameterizedTest
    @EnumSource(value = Transport.Kind.class, names = "SOCKET")
    void chunkedRepliesAndEndlessHeaderLinesAreRefused(Transport.Kind kind) throws Exception {
        inferFrom(
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n7fffffff\r\n",
                kind,
                "Transfer-Encoding chunked: refused");
        inferFrom(
                "HTTP/1.1 200 OK\r\nX-Long: " + "a".repeat(SocketTransport.MAX_LINE + 10) + "\r\n\r\n",
                kind,
                "header line over");
        inferFrom(
                "HTTP/1.1 200 OK\r\n" + "X-Many: a\r\n".repeat(SocketTransport.MAX_HEADERS + 1) + "\r\n",
                kind,
                "headers: refused");
        inferFrom("HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\nhello", kind, "Content-Length '+5'");
    }

    @ParameterizedTest
    @EnumSource(Transport.Kind.class)
    void aConfigWithAbsurdSizesIsRefused(Transport.Kind kind) throws Exception {
        ObjectNode config = (ObjectNode) TinyModels.qwen2().toJson();
        config.put("vocab_size", 1 << 30);
        config.put("num_hidden_layers", 5000); // positive (config.json's own check passes), beyond the client's bound
        String json = config.toString();
        String reply = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + json.length()
                + "\r\n\r\n" + json;
        try (CannedCloud cloud = new CannedCloud(reply);
                CloudConnection c = new CloudConnection(cloud.uri(), CloudConnection.Retry.none(), kind)) {
            assertThatThrownBy(c::fetchConfig)
                    .isInstanceOf(TalariaException.class)
                    .hasMessageContaining("vocab_size 1073741824 is outside 1..2097152")
                    .hasMessageContaining("num_hidden_layers 5000 is outside 1..1024");
        }
    }
}
