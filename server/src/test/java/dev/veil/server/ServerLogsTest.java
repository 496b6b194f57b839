package dev.veil.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veil.engine.LogCapture;
import dev.veil.engine.TestModels;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The server's logs record counts and timings, never a prompt's or an answer's token ids. */
class ServerLogsTest {

    /** Whole integers in a line, not parts of a decimal such as a timing "123.4". */
    private static final Pattern INTEGER = Pattern.compile("(?<![\\d.])\\d+(?![\\d.])");

    @Test
    void logsHoldNoTokenIds() throws Exception {
        // every id is >= 100, while the counts this run logs stay below 100, so any id in a log line is a leak
        int[] prompt = IntStream.range(0, 40).map(i -> 100 + (i * 37) % 200).toArray();
        Set<Integer> seen = new HashSet<>();
        for (int id : prompt) seen.add(id);
        LogCapture logs = null;
        try (InferenceServer server =
                TestServers.start(TestServers.model(TestModels.llama(), 8), List.of(), TestServers.options("tiny"))) {
            logs = LogCapture.onRoot(false);
            var uri = server.uri().resolve("/v1/completions");
            for (boolean stream : new boolean[] {false, true}) {
                ObjectNode r = TestHttp.JSON.createObjectNode();
                for (int id : prompt) r.withArray("prompt").add(id);
                r.put("max_tokens", 24);
                r.put("stream", stream);
                r.put("return_token_ids", true);
                r.put("ignore_eos", true);
                r.putArray("stop_token_ids").add(299);
                List<JsonNode> chunks = stream
                        ? TestHttp.stream(uri, r).data()
                        : List.of(TestHttp.post(uri, r).json());
                for (JsonNode chunk : chunks)
                    for (JsonNode choice : chunk.path("choices"))
                        for (JsonNode id : choice.path("token_ids")) seen.add(id.asInt());
            }
            TestHttp.post(uri, "{\"prompt\": [" + prompt[0] + ", 5000]}"); // a refused id is not logged either
        } finally {
            if (logs != null) logs.close();
        }
        List<String> lines = logs.lines();
        seen.removeIf(id -> id < 100);
        assertThat(lines).anyMatch(l -> l.contains("completion: 1 sequence(s), 40 prompt tokens"));
        for (String line : lines) {
            Matcher m = INTEGER.matcher(line);
            while (m.find())
                assertThat(seen).as("a token id in the log line: " + line).doesNotContain(Integer.parseInt(m.group()));
        }
    }
}
