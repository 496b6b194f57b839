package dev.veil.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veil.engine.RawHttp;
import dev.veil.engine.TestModels;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Clients that do not behave, on loopback: heads and bodies that stall, a 10 GB Content-Length, bodies over the
 * limit. The request timeout is the JDK server's {@code sun.net.httpserver.maxReqTime}, set short for tests in this
 * module's pom (veil serve sets it from --request-timeout); a well-behaved client is served meanwhile.
 */
class ServerAbuseTest {

    static InferenceServer server;
    static URI uri;

    @BeforeAll
    static void start() throws Exception {
        server = TestServers.start(TestServers.model(TestModels.llama(), 5), List.of(), TestServers.options("tiny"));
        uri = server.uri();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static void wellBehavedRequestSucceeds() throws Exception {
        ObjectNode r = TestHttp.JSON.createObjectNode();
        r.putArray("prompt").add(1).add(2).add(3);
        r.put("max_tokens", 4);
        r.put("ignore_eos", true);
        var response = TestHttp.post(uri.resolve("/v1/completions"), r);
        assertThat(response.status()).as(response.body()).isEqualTo(200);
        assertThat(response.json().get("choices").get(0).get("token_ids")).hasSize(4);
    }

    @Test
    void stalledHeadsAndBodiesAreClosedAfterTheRequestTimeout() throws Exception {
        assertThat(System.getProperty("sun.net.httpserver.maxReqTime")).as("set in server/pom.xml").isNotNull();
        List<Socket> stalled = new ArrayList<>();
        try {
            stalled.addAll(RawHttp.stalled(uri, 80, "POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 100000\r\n\r\n{\"prompt\": ["));
            stalled.addAll(RawHttp.stalled(uri, 30, "POST /v1/completions HTTP/1.1\r\nHost: 12"));
            wellBehavedRequestSucceeds();
            for (Socket s : stalled) assertThat(RawHttp.closedByServer(s)).as("a stalled connection is closed").isTrue();
            wellBehavedRequestSucceeds();
        } finally {
            for (Socket s : stalled) s.close();
        }
    }

    @Test
    void aHugeContentLengthIsAnsweredAtOnce() throws Exception {
        try (Socket s = RawHttp.open(uri)) {
            s.getOutputStream().write(("POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 10000000000\r\n\r\n{").getBytes(StandardCharsets.US_ASCII));
            var reply = RawHttp.read(s);
            assertThat(reply.status()).isEqualTo(413);
            // the limit follows the context (TestModels.llama: small), 1 MiB at least
            assertThat(reply.body()).contains("exceeds 1048576 bytes");
        }
        wellBehavedRequestSucceeds();
    }
}
