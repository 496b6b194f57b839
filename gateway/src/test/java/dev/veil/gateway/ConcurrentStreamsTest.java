package dev.veil.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veil.server.TestHttp;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 64 apps streaming at once through one gateway to one server: each stream is identical to the same request run alone
 * (greedy and seeded sampling), and the server batched them (far fewer passes than tokens).
 */
class ConcurrentStreamsTest {

    static final int STREAMS = 64, MAX = 12;

    @TempDir
    Path dir;

    static ObjectNode request(int i) {
        ObjectNode r = TestHttp.JSON.createObjectNode();
        r.put("model", PrivateChatFixture.MODEL);
        r.putArray("messages")
                .addObject()
                .put("role", "user")
                .put("content", "Question number " + i + ": why is the sky blue?");
        r.put("max_tokens", MAX);
        r.put("stream", true);
        if (i % 2 == 0) r.put("temperature", 0);
        else r.put("temperature", 0.9).put("top_p", 0.95).put("seed", 1000 + i);
        return r;
    }

    static String answer(URI gateway, ObjectNode r) throws Exception {
        var events = TestHttp.stream(gateway.resolve("/v1/chat/completions"), r);
        assertThat(events.done()).isTrue();
        return events.data().stream()
                .map(c -> c.get("choices").path(0).path("delta").path("content").asText(""))
                .collect(Collectors.joining());
    }

    @Test
    void concurrentStreamsEqualTheirSequentialRuns() throws Exception {
        try (PrivateChatFixture chat = PrivateChatFixture.start(dir)) {
            URI gateway = chat.gatewayUri();
            List<String> sequential = new ArrayList<>();
            for (int i = 0; i < STREAMS; i++) sequential.add(answer(gateway, request(i)));
            long passesBefore = chat.server.metrics().passes();
            List<Future<String>> concurrent = new ArrayList<>();
            try (ExecutorService apps = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int i = 0; i < STREAMS; i++) {
                    ObjectNode r = request(i);
                    concurrent.add(apps.submit(() -> answer(gateway, r)));
                }
                for (int i = 0; i < STREAMS; i++)
                    assertThat(concurrent.get(i).get()).as("stream %d", i).isEqualTo(sequential.get(i));
            }
            long passes = chat.server.metrics().passes() - passesBefore;
            System.out.printf("64 concurrent streams of %d tokens: %d passes over the weights%n", MAX, passes);
            assertThat(passes).isLessThan(STREAMS * MAX / 4);
            assertThat(sequential.stream().distinct().count()).isGreaterThan(STREAMS / 2);
        }
    }
}
