package dev.veil.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import dev.veil.engine.SamplingParams;
import dev.veil.gateway.ChatPage;
import dev.veil.gateway.Chromium;
import dev.veil.gateway.PrivateChatFixture;
import dev.veil.gateway.RecordingProxy;
import dev.veil.gateway.UpstreamDialect;
import dev.veil.gateway.VllmClient;
import dev.veil.server.TestHttp;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * AloePri behind stock llama.cpp: {@code veil obfuscate --gguf} (noise off, so answers must be the plain model's) →
 * llama.cpp's own {@code llama-server} on loopback (built from the bundled source by scripts/build-llama.sh) → a
 * recording proxy → the gateway (upstream kind detected from {@code /props}) → the official OpenAI Java SDK.
 * Greedy answers equal the plain model's; 8 concurrent streams each equal their own; a dropped stream is cancelled in
 * llama-server; the model spread over two rpc-servers gives the same ids; neither the wire nor llama-server's verbose
 * log holds plaintext text or a run of plaintext ids.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LlamaServerEndToEndTest {

    static final int SLOTS = 8, SLOT_CONTEXT = 512, MAX = 24;
    static final String QUESTION = "What is the capital of France? Réponds en français, s'il te plaît.";

    @TempDir
    static Path dir;

    static PrivateChatFixture chat;
    static LlamaServer llama;
    static URI gateway;
    static final List<int[]> plaintextSequences = new ArrayList<>();
    static final List<String> plaintexts = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        chat = PrivateChatFixture.startExternal(dir, true, o -> o, gguf -> {
            // verbose: the log then holds what llama-server received and generated, for the leakage check below
            llama = LlamaServer.start(
                    gguf,
                    LlamaServer.Options.of(SLOTS, SLOT_CONTEXT).withVerbose(),
                    dir.resolve("llama-server.log"),
                    Duration.ofMinutes(2));
            return new PrivateChatFixture.External() {
                @Override
                public URI uri() {
                    return llama.uri();
                }

                @Override
                public void close() {
                    llama.close();
                }
            };
        });
        gateway = chat.gatewayUri();
    }

    @AfterAll
    static void stop() {
        if (chat != null) chat.close();
    }

    /** The plain model's answer, remembered for the leakage check. */
    static String expected(String question, int max, SamplingParams sampling) {
        int[] prompt = chat.chatPromptIds(question);
        int[] ids = chat.plainIds(prompt, max, sampling);
        String text = chat.tokenizer.decode(ids, true);
        synchronized (plaintexts) {
            plaintextSequences.add(prompt);
            plaintextSequences.add(ids);
            plaintexts.add(text);
        }
        return text;
    }

    static ObjectNode chatRequest(String user, int max) {
        return PrivateChatFixture.chatRequest(user, max, true);
    }

    static String streamed(ObjectNode request) throws Exception {
        var events = TestHttp.stream(gateway.resolve("/v1/chat/completions"), request);
        assertThat(events.status()).isEqualTo(200);
        assertThat(events.done()).isTrue();
        return events.data().stream()
                .flatMap(c -> StreamSupport.stream(c.path("choices").spliterator(), false))
                .map(c -> c.path("delta").path("content").asText(""))
                .collect(Collectors.joining());
    }

    @Test
    @Order(1)
    void theOpenAiSdkGetsThePlainModelsGreedyAnswerStreamed() {
        String expected = expected(QUESTION, MAX, SamplingParams.GREEDY);
        assertThat(expected).isNotBlank();
        OpenAIClient client = OpenAIOkHttpClient.builder()
                .baseUrl(gateway + "/v1")
                .apiKey("not-needed-on-loopback")
                .responseValidation(true)
                .maxRetries(0)
                .build();
        try (StreamResponse<ChatCompletionChunk> stream = client.chat()
                .completions()
                .createStreaming(ChatCompletionCreateParams.builder()
                        .model(PrivateChatFixture.MODEL)
                        .addUserMessage(QUESTION)
                        .temperature(0.0)
                        .maxCompletionTokens(MAX)
                        .build())) {
            List<ChatCompletionChunk> chunks = stream.stream().toList();
            String text = PrivateChatFixture.streamedText(chunks);
            assertThat(text).isEqualTo(expected);
            assertThat(chunks.getLast().choices().getFirst().finishReason()).isPresent();
        } finally {
            client.close();
        }
        assertThat(chat.proxy.sentToServer()).contains("POST /completion ").contains("\"return_tokens\":true");
    }

    /** The repetition penalty maps exactly (llama.cpp's window set to the whole context); see LlamaServerDialect. */
    @Test
    @Order(2)
    void theRepetitionPenaltyActsAsOnThePlainModel() throws Exception {
        SamplingParams penalised = SamplingParams.GREEDY.withPenalties(1.5, 0, 0);
        String expected = expected(QUESTION, MAX, penalised);
        assertThat(expected).isNotEqualTo(chat.plainAnswer(chat.chatPromptIds(QUESTION), MAX, SamplingParams.GREEDY));
        ObjectNode r = chatRequest(QUESTION, MAX);
        r.put("repetition_penalty", 1.5);
        assertThat(streamed(r)).isEqualTo(expected);
        assertThat(chat.proxy.sentToServer()).contains("\"repeat_penalty\":1.5");
    }

    @Test
    @Order(3)
    void eightConcurrentStreamsEachGetTheirOwnAnswer() throws Exception {
        List<String> questions = new ArrayList<>();
        List<String> answers = new ArrayList<>();
        for (int i = 0; i < SLOTS; i++) {
            questions.add("Question number " + i + ": why is the sky blue?");
            answers.add(expected(questions.get(i), 16, SamplingParams.GREEDY));
        }
        List<Future<String>> running = new ArrayList<>();
        try (ExecutorService apps = Executors.newVirtualThreadPerTaskExecutor()) {
            for (String q : questions) running.add(apps.submit(() -> streamed(chatRequest(q, 16))));
            for (int i = 0; i < SLOTS; i++)
                assertThat(running.get(i).get()).as("stream %d", i).isEqualTo(answers.get(i));
        }
        assertThat(answers.stream().distinct().count()).isGreaterThan(SLOTS / 2);
    }

    @Test
    @Order(4)
    void aDroppedStreamIsCancelledInLlamaServer() throws Exception {
        int max = SLOT_CONTEXT - 64;
        ObjectNode r = chatRequest("Tell me a long story.", max);
        r.put("temperature", 0.8).put("seed", 5);
        String body = TestHttp.JSON.writeValueAsString(r);
        try (Socket app = new Socket("127.0.0.1", gateway.getPort())) {
            app.getOutputStream()
                    .write(
                            ("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: "
                                            + body.getBytes(StandardCharsets.UTF_8).length
                                            + "\r\nConnection: close\r\n\r\n" + body)
                                    .getBytes(StandardCharsets.UTF_8));
            var in = new BufferedReader(new InputStreamReader(app.getInputStream(), StandardCharsets.UTF_8));
            for (String line; (line = in.readLine()) != null && !line.startsWith("data: "); ) {
                // the head, up to the first event
            }
        }
        awaitLog("cancel task");
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        JsonNode slots;
        do {
            slots = TestHttp.get(llama.uri().resolve("/slots")).json();
            Thread.sleep(20);
        } while (anyProcessing(slots) && System.nanoTime() < deadline);
        assertThat(anyProcessing(slots))
                .as("llama-server's slots are free again")
                .isFalse();
        // and the next app is served normally
        assertThat(streamed(chatRequest(QUESTION, 4))).isEqualTo(expected(QUESTION, 4, SamplingParams.GREEDY));
    }

    static boolean anyProcessing(JsonNode slots) {
        for (JsonNode s : slots) if (s.path("is_processing").asBoolean()) return true;
        return false;
    }

    static void awaitLog(String text) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!llama.log().contains(text)) {
            if (System.nanoTime() > deadline) throw new AssertionError("llama-server never logged '" + text + "'");
            Thread.sleep(20);
        }
    }

    /**
     * Scale-out: llama.cpp's RPC backend puts the obfuscated model's layers on two rpc-server processes (as on two
     * machines); llama-server in front of them returns the same greedy ids, τ of the plain model's.
     */
    @Test
    @Order(5)
    void twoRpcServersHoldingTheLayersServeTheSameAnswer() throws Exception {
        int[] prompt = chat.chatPromptIds(QUESTION);
        int[] plain = chat.plainIds(prompt, MAX, SamplingParams.GREEDY);
        try (LlamaServer a = LlamaServer.startRpc(dir.resolve("rpc-a.log"), 1, Duration.ofSeconds(30));
                LlamaServer b = LlamaServer.startRpc(dir.resolve("rpc-b.log"), 1, Duration.ofSeconds(30));
                LlamaServer spread = LlamaServer.start(
                        dir.resolve("obfuscated.gguf"),
                        LlamaServer.Options.of(1, SLOT_CONTEXT)
                                .withRpc(List.of(a.endpoint(), b.endpoint()))
                                .withVerbose(),
                        dir.resolve("llama-server-rpc.log"),
                        Duration.ofMinutes(2))) {
            String log = spread.log();
            List<String> endpoints = List.of(a.endpoint(), b.endpoint());
            for (int i = 0; i < 2; i++) {
                assertThat(log)
                        .as("llama-server uses rpc-server %d", i)
                        .contains("using device RPC" + i + " (" + endpoints.get(i) + ")");
                assertThat(Pattern.compile("layer +\\d+ assigned to device RPC" + i + "\\b")
                                .matcher(log)
                                .find())
                        .as("a layer on rpc-server %d:%n%s", i, log)
                        .isTrue();
            }
            var body = UpstreamDialect.LLAMA_SERVER.requestBody(
                    "",
                    SLOT_CONTEXT,
                    chat.key.permutation().obfuscate(prompt),
                    new VllmClient.Params(MAX, 0, 1, 0, null, Set.of()));
            var events = TestHttp.stream(spread.uri().resolve("/completion"), body);
            assertThat(events.status()).isEqualTo(200);
            List<Integer> ids = new ArrayList<>();
            for (JsonNode e : events.data()) for (JsonNode id : e.path("tokens")) ids.add(id.asInt());
            // llama-server stops only at the GGUF's EOS; the plain run also at the tokenizer's other EOS id
            assertThat(ids.size()).isGreaterThanOrEqualTo(plain.length);
            assertThat(ids.subList(0, plain.length))
                    .containsExactly(Arrays.stream(chat.key.permutation().obfuscate(plain))
                            .boxed()
                            .toArray(Integer[]::new));
        }
    }

    /** The chat page against llama-server, used as a person would: a question typed in, the plain model's answer shown. */
    @Test
    @Order(6)
    void theChatPageAnswersThroughLlamaServer() throws Exception {
        try (Chromium browser = Chromium.launch()) {
            browser.call("Page.enable", null);
            browser.navigate(gateway);
            browser.waitFor("document.getElementById('model').textContent.includes('aloepri')", Duration.ofSeconds(30));
            assertThat(ChatPage.askGreedy(browser, QUESTION, 8))
                    .isEqualTo(expected(QUESTION, 8, SamplingParams.GREEDY));
        }
    }

    @Test
    @Order(10)
    void llamaServerSawNoPlaintextOnTheWireOrInItsLog() throws Exception {
        String toServer = chat.proxy.sentToServer();
        String log = llama.log();
        // the log is a real capture of what the server received: it holds an obfuscated prompt
        int[] obfuscatedPrompt = chat.key.permutation().obfuscate(chat.chatPromptIds(QUESTION));
        assertThat(RecordingProxy.containsRun(RecordingProxy.integers(log), obfuscatedPrompt, 4))
                .as("llama-server's log shows τ(prompt)")
                .isTrue();
        List<String> texts;
        List<int[]> sequences;
        synchronized (plaintexts) {
            texts = List.copyOf(plaintexts);
            sequences = List.copyOf(plaintextSequences);
        }
        for (String seen : List.of(toServer, chat.proxy.sentToGateway(), log))
            RecordingProxy.assertNoPlaintext(seen, List.of("capital", "France", "sky", "story"), texts, sequences);
    }
}
