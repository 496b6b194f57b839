package dev.veil.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;

/**
 * What the upstream client's dialect tests share: a stub server on loopback ({@link StubUpstream}, started by each
 * test's own routes) that replays responses recorded in one folder of test resources, answering with {@link #reply}
 * and {@link #status} and keeping the request bodies it receives.
 */
abstract class ReplayedUpstreamTest {

    HttpServer stub;
    final List<JsonNode> requests = new ArrayList<>();
    volatile int status = 200;
    /** The resource file the next completion request is answered with. */
    volatile String reply;

    private final String resources;

    /** {@code resources}: the folder of test resources the recorded responses are in. */
    ReplayedUpstreamTest(String resources) {
        this.resources = resources;
    }

    byte[] resource(String name) throws IOException {
        return StubUpstream.resource(resources + "/" + name);
    }

    @AfterEach
    void stop() {
        stub.stop(0);
    }

    /** Every id of a stream, to its end. */
    static List<Integer> drain(VllmClient.TokenStream s) throws UpstreamException {
        List<Integer> ids = new ArrayList<>();
        for (int id; (id = s.next()) >= 0; ) ids.add(id);
        return ids;
    }
}
