package dev.veil.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.NotFoundException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import com.openai.models.models.Model;
import dev.veil.engine.SamplingParams;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The gateway driven by the official OpenAI Java SDK exactly as an app would (base URL pointed at the gateway, strict
 * response validation on): chat and text completions, streaming and not, the models list, and errors.
 */
class OpenAiSdkTest extends PrivateChatTest {

    static OpenAIClient client;

    @BeforeAll // after PrivateChatTest's, which starts the fixture
    static void openClient() {
        client = OpenAIOkHttpClient.builder()
                .baseUrl(chat.gatewayUri() + "/v1")
                .apiKey("not-needed-on-loopback")
                .responseValidation(true)
                .maxRetries(0)
                .build();
    }

    @AfterAll // before PrivateChatTest's, which closes the fixture
    static void closeClient() {
        client.close();
    }

    static ChatCompletionCreateParams question(String text) {
        return ChatCompletionCreateParams.builder()
                .model(PrivateChatFixture.MODEL)
                .addUserMessage(text)
                .temperature(0.0)
                .maxCompletionTokens(20)
                .build();
    }

    @Test
    void chatCompletion() {
        String q = "How far is the Moon?";
        ChatCompletion answer = client.chat().completions().create(question(q));
        String expected = chat.plainAnswer(chat.chatPromptIds(q), 20, SamplingParams.GREEDY);
        assertThat(answer.choices()).hasSize(1);
        assertThat(answer.choices().get(0).message().content()).contains(expected);
        assertThat(answer.choices().get(0).finishReason())
                .isIn(ChatCompletion.Choice.FinishReason.STOP, ChatCompletion.Choice.FinishReason.LENGTH);
        assertThat(answer.usage().orElseThrow().promptTokens()).isEqualTo(chat.chatPromptIds(q).length);
        assertThat(answer.model()).isEqualTo(PrivateChatFixture.MODEL);
    }

    @Test
    void streamingChatCompletion() {
        String q = "Write a haiku about privacy.";
        String expected = chat.plainAnswer(chat.chatPromptIds(q), 20, SamplingParams.GREEDY);
        try (StreamResponse<ChatCompletionChunk> stream =
                client.chat().completions().createStreaming(question(q))) {
            List<ChatCompletionChunk> chunks = stream.stream().toList();
            String text = PrivateChatFixture.streamedText(chunks);
            assertThat(text).isEqualTo(expected);
            assertThat(chunks.getLast().choices().get(0).finishReason()).isPresent();
        }
    }

    @Test
    void textCompletionStreamedAndNot() {
        var params = CompletionCreateParams.builder()
                .model(PrivateChatFixture.MODEL)
                .prompt("The weather today")
                .maxTokens(12)
                .temperature(0.0)
                .build();
        String expected =
                chat.plainAnswer(chat.tokenizer.encode("The weather today", true, true), 12, SamplingParams.GREEDY);
        Completion c = client.completions().create(params);
        assertThat(c.choices().get(0).text()).isEqualTo(expected);
        // The SDK models a completions stream chunk as a Completion, whose finish_reason it requires; OpenAI (and this
        // gateway) send null until the last chunk, so strict validation is off for this one call.
        OpenAIClient lenient = OpenAIOkHttpClient.builder()
                .baseUrl(chat.gatewayUri() + "/v1")
                .apiKey("x")
                .maxRetries(0)
                .build();
        try (StreamResponse<Completion> stream = lenient.completions().createStreaming(params)) {
            assertThat(stream.stream().map(x -> x.choices().get(0).text()).collect(Collectors.joining()))
                    .isEqualTo(expected);
        } finally {
            lenient.close();
        }
    }

    @Test
    void modelsAndErrors() {
        List<Model> models = client.models().list().data();
        assertThat(models).extracting(Model::id).containsExactly(PrivateChatFixture.MODEL);
        var missing = catchThrowableOfType(
                NotFoundException.class,
                () -> client.chat()
                        .completions()
                        .create(ChatCompletionCreateParams.builder()
                                .model("gpt-4o")
                                .addUserMessage("hi")
                                .build()));
        assertThat(missing.getMessage()).contains("does not exist");
        var bad = catchThrowableOfType(
                BadRequestException.class,
                () -> client.chat()
                        .completions()
                        .create(ChatCompletionCreateParams.builder()
                                .model(PrivateChatFixture.MODEL)
                                .addUserMessage("hi")
                                .temperature(7.0)
                                .build()));
        assertThat(bad.getMessage()).contains("temperature");
    }
}
