package dev.veil.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veil.aloepri.AloePriKey;
import dev.veil.aloepri.AloePriParams;
import dev.veil.aloepri.ObfuscateModelDir;
import dev.veil.engine.SamplingParams;
import dev.veil.engine.kernel.Parallel;
import dev.veil.gateway.AloePriBackend;
import dev.veil.gateway.GatewayOptions;
import dev.veil.gateway.GatewayServer;
import dev.veil.gateway.VllmClient;
import dev.veil.model.ModelConfig;
import dev.veil.server.InferenceServer;
import dev.veil.server.ServerOptions;
import dev.veil.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * A private chat end to end on one machine, for {@code ./veil demo}: obfuscate the model into a temporary directory
 * (AloePri, default parameters, a fresh key), start the untrusted server on the obfuscated checkpoint and the gateway
 * in front of it on free loopback ports, ask one question through the gateway's OpenAI API, print the answer and what
 * the server saw, and shut everything down.
 */
public final class PrivateChatDemo {

    /**
     * @param sentIds     the obfuscated prompt ids the untrusted server received
     * @param receivedIds the obfuscated ids it generated
     */
    public record Result(
            String answer,
            String finishReason,
            int promptTokens,
            int completionTokens,
            int[] sentIds,
            int[] receivedIds) {}

    private static final ObjectMapper JSON = new ObjectMapper();

    private PrivateChatDemo() {}

    /** Runs the demo on {@code modelDir} (a Hugging Face model directory with its tokenizer); greedy, up to 64 tokens. */
    public static Result runAloePri(Path modelDir, String question, PrintStream out) throws Exception {
        return runAloePri(modelDir, question, 64, out);
    }

    public static Result runAloePri(Path modelDir, String question, int maxTokens, PrintStream out) throws Exception {
        return runAloePri(modelDir, question, maxTokens, null, out);
    }

    public static Result runAloePri(Path modelDir, String question, int maxTokens, Boolean chat, PrintStream out)
            throws Exception {
        return runAloePri(modelDir, question, maxTokens, chat, SamplingParams.GREEDY, out);
    }

    /**
     * @param chat     ask through /v1/chat/completions (true), /v1/completions (false), or as the tokenizer allows (null)
     * @param sampling greedy, with these penalties (they go to the gateway in OpenAI's and vLLM's names)
     */
    public static Result runAloePri(
            Path modelDir, String question, int maxTokens, Boolean chat, SamplingParams sampling, PrintStream out)
            throws Exception {
        Path work = Files.createTempDirectory("veil-demo-");
        try {
            ModelConfig config = ModelConfig.read(modelDir);
            out.printf(
                    "1/4 obfuscating %s with AloePri (hidden %d, %d layers, vocabulary %d) ...%n",
                    modelDir, config.hiddenSize(), config.numLayers(), config.vocabSize());
            Path obfuscated = work.resolve("obfuscated");
            AloePriKey key = ObfuscateModelDir.run(ObfuscateModelDir.Request.of(
                    modelDir, obfuscated, work.resolve("model.key"), AloePriParams.defaults(config.hiddenSize())));
            out.printf(
                    "    obfuscated checkpoint: hidden %d; secret key: the vocabulary permutation (kept by the gateway only)%n",
                    key.obfuscatedHiddenSize());
            try (InferenceServer server = InferenceServer.open(
                    obfuscated, ServerOptions.defaults("obfuscated").withAddress("127.0.0.1", 0), Parallel.shared())) {
                out.printf("2/4 untrusted server on %s (sees token ids only)%n", server.uri());
                Tokenizer tokenizer = Tokenizer.load(modelDir);
                var backend = new AloePriBackend(
                        key.permutation(), VllmClient.connect(server.uri(), null, VllmClient.Timeouts.defaults()));
                try (GatewayServer gateway = GatewayServer.start(
                        GatewayOptions.defaults("veil")
                                .withAddress("127.0.0.1", 0)
                                .withShowUntrusted(true),
                        tokenizer,
                        backend)) {
                    out.printf("3/4 trusted gateway on %s (OpenAI API; chat page at /)%n", gateway.uri());
                    out.printf("4/4 asking: %s%n", question);
                    Result r = ask(
                            gateway.uri(),
                            question,
                            maxTokens,
                            chat != null ? chat : tokenizer.chatTemplate().isPresent(),
                            sampling);
                    out.printf(
                            "%nanswer (%s, %d prompt + %d generated tokens):%n%s%n",
                            r.finishReason(), r.promptTokens(), r.completionTokens(), r.answer());
                    out.printf(
                            "%nwhat the untrusted server saw: no text, only obfuscated ids%n  received %d ids: %s%n  returned %d ids: %s%n",
                            r.sentIds().length, preview(r.sentIds()), r.receivedIds().length, preview(r.receivedIds()));
                    return r;
                }
            }
        } finally {
            deleteRecursively(work);
        }
    }

    private static Result ask(URI gateway, String question, int maxTokens, boolean chat, SamplingParams sampling)
            throws IOException, InterruptedException {
        ObjectNode body = JSON.createObjectNode();
        body.put("model", "veil");
        if (chat) body.putArray("messages").addObject().put("role", "user").put("content", question);
        else body.put("prompt", question);
        body.put("temperature", 0);
        body.put("repetition_penalty", sampling.repetitionPenalty());
        body.put("presence_penalty", sampling.presencePenalty());
        body.put("frequency_penalty", sampling.frequencyPenalty());
        body.put("max_tokens", maxTokens);
        body.put("veil_untrusted", true);
        try (HttpClient http = HttpClient.newHttpClient()) {
            HttpResponse<String> response = http.send(
                    HttpRequest.newBuilder(gateway.resolve(chat ? "/v1/chat/completions" : "/v1/completions"))
                            .header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            JsonNode n = JSON.readTree(response.body());
            if (response.statusCode() != 200)
                throw new IOException("the gateway answered HTTP " + response.statusCode() + ": "
                        + n.path("error").path("message").asText(response.body()));
            JsonNode choice = n.path("choices").path(0);
            String answer = chat
                    ? choice.path("message").path("content").asText()
                    : choice.path("text").asText();
            JsonNode seen = n.path("veil_untrusted");
            return new Result(
                    answer,
                    choice.path("finish_reason").asText(),
                    n.path("usage").path("prompt_tokens").asInt(),
                    n.path("usage").path("completion_tokens").asInt(),
                    ids(seen.path("prompt_token_ids")),
                    ids(seen.path("token_ids")));
        }
    }

    private static int[] ids(JsonNode array) {
        return IntStream.range(0, array.size()).map(i -> array.get(i).asInt()).toArray();
    }

    private static String preview(int[] ids) {
        String shown = Arrays.stream(ids).limit(24).mapToObj(Integer::toString).collect(Collectors.joining(" "));
        return "[" + shown + (ids.length > 24 ? " …" : "") + "]";
    }

    private static void deleteRecursively(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
