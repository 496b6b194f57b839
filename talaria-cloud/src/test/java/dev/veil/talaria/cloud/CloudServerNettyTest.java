package dev.veil.talaria.cloud;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link CloudServerTest}'s calls against the cloud on the shared Netty server ({@link CloudServer.Transport#NETTY}, what
 * {@code veil bench talaria --settings default-netty-cloud} measures): the same products, endpoints and errors; the
 * HTTP layer's own refusals are worded as the http module words them.
 */
class CloudServerNettyTest extends CloudServerTest {

    @BeforeAll
    static void start() throws Exception {
        model = FoldedModel.fold(C, TinyModels.random(C, 3));
        server = CloudServer.start(model, CloudServer.Options.loopback(0).withTransport(CloudServer.Transport.NETTY));
    }

    @Test
    @Override
    void refusedBodiesAreAnsweredInTheKServeShapeAndTheConnectionClosed() throws Exception {
        assertThat(raw("POST /v2/models/embed/infer HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999999\r\n\r\n"))
                .startsWith("HTTP/1.1 413 ")
                .containsIgnoringCase("Connection: close")
                .contains("{\"error\":\"the request body exceeds ");
        // a chunked body is read (up to the limit); this one is empty, so the call lacks its tensor header
        assertThat(raw("POST /v2/models/embed/infer HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                        + "Connection: close\r\n\r\n0\r\n\r\n"))
                .startsWith("HTTP/1.1 400 ")
                .contains("{\"error\":\"missing Inference-Header-Content-Length");
        assertThat(raw("GARBAGE\r\n\r\n")).startsWith("HTTP/1.1 400 ").contains("{\"error\":\"malformed request");
        assertThat(raw("GET /v2/health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))
                .startsWith("HTTP/1.1 200 ");
    }
}
