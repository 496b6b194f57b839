package dev.veil.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veil.engine.LogCapture;
import dev.veil.engine.SamplingParams;
import dev.veil.server.TestHttp;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * App → gateway → recording proxy → untrusted server, over real sockets. With noise off and greedy decoding the
 * gateway's answers are the plain model's own; what crossed to the server holds no plaintext id sequence and no text;
 * neither the server's nor the gateway's logs hold ids or text.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class GatewayEndToEndTest {

    static final String QUESTION = "What is the capital of France? Réponds en français, s'il te plaît.";
    static final int MAX = 24;

    @TempDir
    static Path dir;

    static PrivateChatFixture chat;
    static URI gateway;
    static final List<int[]> plaintextSequences = new ArrayList<>();
    static final List<String> plaintexts = new ArrayList<>();
    static LogCapture logs;

    @BeforeAll
    static void start() throws Exception {
        chat = PrivateChatFixture.start(dir, true, o -> o.withShowUntrusted(true));
        gateway = chat.gatewayUri();
        logs = LogCapture.onRoot(false);
    }

    @AfterAll
    static void stop() {
        logs.close();
        chat.close();
    }

    static ObjectNode chatRequest(String user, boolean stream) {
        return PrivateChatFixture.chatRequest(user, MAX, stream);
    }

    /** The plain model's greedy answer for {@code prompt}, remembered for the leakage checks. */
    static String expected(int[] prompt, int max) {
        return expected(prompt, max, SamplingParams.GREEDY);
    }

    static String expected(int[] prompt, int max, SamplingParams sampling) {
        int[] ids = chat.plainIds(prompt, max, sampling);
        plaintextSequences.add(prompt);
        plaintextSequences.add(ids);
        String text = chat.tokenizer.decode(ids, true);
        plaintexts.add(text);
        return text;
    }

    @Test
    @Order(1)
    void chatAnswerIsThePlainModelsGreedyAnswer() throws Exception {
        int[] prompt = chat.chatPromptIds(QUESTION);
        String expected = expected(prompt, MAX);
        int[] plainIds = chat.plainIds(prompt, MAX, SamplingParams.GREEDY);
        var response = TestHttp.post(gateway.resolve("/v1/chat/completions"), chatRequest(QUESTION, false));
        assertThat(response.status()).as(response.body()).isEqualTo(200);
        JsonNode body = response.json();
        assertThat(body.get("object").asText()).isEqualTo("chat.completion");
        assertThat(body.get("id").asText()).startsWith("chatcmpl-");
        JsonNode choice = body.get("choices").get(0);
        assertThat(choice.get("message").get("role").asText()).isEqualTo("assistant");
        assertThat(choice.get("message").get("content").asText()).isEqualTo(expected);
        boolean eos = chat.tokenizer.eosIds().contains(plainIds[plainIds.length - 1]);
        assertThat(choice.get("finish_reason").asText()).isEqualTo(eos ? "stop" : "length");
        assertThat(body.get("usage").get("prompt_tokens").asInt()).isEqualTo(prompt.length);
        assertThat(body.get("usage").get("completion_tokens").asInt()).isEqualTo(plainIds.length);
        assertThat(body.get("usage").get("total_tokens").asInt()).isEqualTo(prompt.length + plainIds.length);
        assertThat(expected).isNotEmpty();
    }

    @Test
    @Order(2)
    void streamedChatIsTheSameAnswerAndReportsWhatTheServerSaw() throws Exception {
        String question = "Tell me a story about a cat 🐈 and 東京.";
        int[] prompt = chat.chatPromptIds(question);
        String expected = expected(prompt, MAX);
        int[] plainIds = chat.plainIds(prompt, MAX, SamplingParams.GREEDY);
        ObjectNode r = chatRequest(question, true);
        r.putObject("stream_options").put("include_usage", true);
        r.put("veil_untrusted", true);
        var events = TestHttp.stream(gateway.resolve("/v1/chat/completions"), r);
        assertThat(events.status()).isEqualTo(200);
        assertThat(events.done()).isTrue();
        List<JsonNode> chunks = events.data();
        assertThat(chunks.getFirst()
                        .get("choices")
                        .get(0)
                        .get("delta")
                        .get("role")
                        .asText())
                .isEqualTo("assistant");
        StringBuilder text = new StringBuilder();
        for (JsonNode c : chunks) {
            assertThat(c.get("object").asText()).isEqualTo("chat.completion.chunk");
            for (JsonNode choice : c.get("choices"))
                text.append(choice.path("delta").path("content").asText(""));
        }
        assertThat(text.toString()).isEqualTo(expected);
        JsonNode last = chunks.getLast();
        assertThat(chunks.get(chunks.size() - 2)
                        .get("choices")
                        .get(0)
                        .get("finish_reason")
                        .asText())
                .isIn("stop", "length");
        assertThat(last.get("usage").get("completion_tokens").asInt()).isEqualTo(plainIds.length);
        JsonNode seen = last.get("veil_untrusted");
        assertThat(seen.get("mode").asText()).isEqualTo("aloepri");
        assertThat(ids(seen.get("prompt_token_ids")))
                .containsExactly(chat.key.permutation().obfuscate(prompt));
        assertThat(ids(seen.get("token_ids")))
                .containsExactly(chat.key.permutation().obfuscate(plainIds));
    }

    @Test
    @Order(3)
    void textCompletionsStreamedAndNot() throws Exception {
        String prompt = "Once upon a time";
        String expected = expected(chat.tokenizer.encode(prompt, true, true), 16);
        ObjectNode r = TestHttp.JSON.createObjectNode();
        r.put("model", PrivateChatFixture.MODEL);
        r.put("prompt", prompt);
        r.put("max_tokens", 16);
        r.put("temperature", 0);
        JsonNode body = TestHttp.post(gateway.resolve("/v1/completions"), r).json();
        assertThat(body.get("object").asText()).isEqualTo("text_completion");
        assertThat(body.get("choices").get(0).get("text").asText()).isEqualTo(expected);
        r.put("stream", true);
        var events = TestHttp.stream(gateway.resolve("/v1/completions"), r);
        String streamed = events.data().stream()
                .map(c -> c.get("choices").get(0).get("text").asText())
                .collect(Collectors.joining());
        assertThat(streamed).isEqualTo(expected);
    }

    @Test
    @Order(4)
    void stopStringsCutTheAnswerOnThePlaintextSide() throws Exception {
        int[] prompt = chat.chatPromptIds(QUESTION);
        String full = expected(prompt, MAX);
        int at = -1; // the last place where a 3-character string first appears
        for (int p = full.length() - 3; p > 0 && at < 0; p--) {
            String s = full.substring(p, p + 3);
            if (full.indexOf(s) == p && s.chars().noneMatch(ch -> Character.isSurrogate((char) ch))) at = p;
        }
        assertThat(at).as("a stop string inside " + full).isPositive();
        for (boolean stream : new boolean[] {false, true}) {
            ObjectNode r = chatRequest(QUESTION, stream);
            r.putArray("stop").add(full.substring(at, at + 3)).add("\u0000never");
            String answer;
            String finish;
            if (stream) {
                List<JsonNode> chunks = TestHttp.stream(gateway.resolve("/v1/chat/completions"), r)
                        .data();
                answer = chunks.stream()
                        .map(c -> c.get("choices")
                                .get(0)
                                .path("delta")
                                .path("content")
                                .asText(""))
                        .collect(Collectors.joining());
                finish = chunks.getLast()
                        .get("choices")
                        .get(0)
                        .get("finish_reason")
                        .asText();
            } else {
                JsonNode choice = TestHttp.post(gateway.resolve("/v1/chat/completions"), r)
                        .json()
                        .get("choices")
                        .get(0);
                answer = choice.get("message").get("content").asText();
                finish = choice.get("finish_reason").asText();
            }
            assertThat(answer).isEqualTo(full.substring(0, at));
            assertThat(finish).isEqualTo("stop");
        }
    }

    /**
     * Penalties travel to the untrusted server in vLLM's names and act there on obfuscated ids; they count occurrences,
     * which τ does not change, so with noise off the answer is the plain model's under the same penalties.
     */
    @Test
    @Order(5)
    void penaltiesActUnderTauAsOnThePlainModel() throws Exception {
        int[] prompt = chat.chatPromptIds(QUESTION);
        SamplingParams penalised = SamplingParams.GREEDY.withPenalties(1.5, 0.5, 0.75);
        String expected = expected(prompt, MAX, penalised);
        assertThat(expected).isNotEqualTo(chat.plainAnswer(prompt, MAX, SamplingParams.GREEDY));
        ObjectNode r = chatRequest(QUESTION, false);
        r.put("repetition_penalty", 1.5);
        r.put("presence_penalty", 0.5);
        r.put("frequency_penalty", 0.75);
        var response = TestHttp.post(gateway.resolve("/v1/chat/completions"), r);
        assertThat(response.status()).as(response.body()).isEqualTo(200);
        assertThat(response.json()
                        .get("choices")
                        .get(0)
                        .get("message")
                        .get("content")
                        .asText())
                .isEqualTo(expected);
        assertThat(chat.proxy.sentToServer())
                .contains("\"repetition_penalty\":1.5", "\"presence_penalty\":0.5", "\"frequency_penalty\":0.75");
    }

    @Test
    @Order(10)
    void theServerSawNoPlaintextAndNobodyLoggedIt() {
        String toServer = chat.proxy.sentToServer();
        String toGateway = chat.proxy.sentToGateway();
        assertThat(toServer).contains("\"prompt\":[").contains("\"return_token_ids\":true");
        for (String wire : List.of(toServer, toGateway))
            RecordingProxy.assertNoPlaintext(
                    wire, List.of(QUESTION, "capital", "France", "Once upon"), plaintexts, plaintextSequences);
        List<String> lines = logs.lines();
        assertThat(lines)
                .anyMatch(l -> l.startsWith("completion: 1 sequence(s)"))
                .anyMatch(l -> l.startsWith("chat: "));
        Set<Integer> ids = new HashSet<>();
        for (int[] plain : plaintextSequences) for (int id : plain) ids.add(id);
        for (int[] plain : plaintextSequences)
            for (int id : chat.key.permutation().obfuscate(plain)) ids.add(id);
        ids.removeIf(id -> id < 1000); // counts and timings in log lines stay below 1000 in this test
        for (String line : lines) {
            assertThat(line).doesNotContain("capital").doesNotContain("Once upon");
            for (String answer : plaintexts)
                if (answer.strip().length() >= 6) assertThat(line).doesNotContain(answer.strip());
            Matcher m = Pattern.compile("(?<![\\d.])\\d+(?![\\d.])").matcher(line);
            while (m.find())
                assertThat(ids).as("an id in the log line: " + line).doesNotContain(Integer.parseInt(m.group()));
        }
    }

    static int[] ids(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = array.get(i).asInt();
        return out;
    }
}
