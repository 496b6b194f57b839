package dev.veil.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Malformed or unsupported requests: one clear 4xx with vLLM's error JSON, never a 5xx, and the server carries on. */
class BadRequestTest {

    static final InferenceServer server = TestServers.tinyLlama();
    static final URI completions = server.uri().resolve("/v1/completions");

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            not json                        | {"prompt": [1, 2          | not valid JSON                  |
            not an object                   | [1, 2, 3]                 | must be a JSON object           |
            empty body                      | ''                        | body is empty                   |
            no prompt                       | {"max_tokens": 3}         | prompt is required              | prompt
            text prompt                     | {"prompt": "hello"}       | has no tokenizer                | prompt
            list of texts                   | {"prompt": ["a", "b"]}    | has no tokenizer                | prompt
            empty prompt                    | {"prompt": []}            | non-empty list                  | prompt
            empty inner prompt              | {"prompt": [[1], []]}     | at least one token id           | prompt
            mixed prompt                    | {"prompt": [[1], 2]}      | mixes token ids                 | prompt
            negative id                     | {"prompt": [1, -3]}       | outside the vocabulary [0, 300) | prompt
            id past vocab                   | {"prompt": [300]}         | outside the vocabulary [0, 300) | prompt
            fractional id                   | {"prompt": [1.5]}         | integer token ids               | prompt
            huge id                         | {"prompt": [99999999999]} | integer token ids               | prompt
            string id                       | {"prompt": [1, "2"]}      | integer token ids               | prompt
            zero max tokens                 | {"prompt": [1], "max_tokens": 0}     | at least 1           | max_tokens
            max tokens as text              | {"prompt": [1], "max_tokens": "5"}   | must be an integer   | max_tokens
            over context                    | {"prompt": [1, 2], "max_tokens": 255} | maximum context length is 256 tokens | max_tokens
            negative temperature            | {"prompt": [1], "temperature": -1}   | temperature must be  | temperature
            top_p zero                      | {"prompt": [1], "top_p": 0}          | top_p must be in     | top_p
            top_k negative                  | {"prompt": [1], "top_k": -2}         | top_k must be        | top_k
            seed text                       | {"prompt": [1], "seed": "x"}         | seed must be         | seed
            stop ids not a list             | {"prompt": [1], "stop_token_ids": 2} | must be a list       | stop_token_ids
            stop id past vocab              | {"prompt": [1], "stop_token_ids": [400]} | outside the vocabulary | stop_token_ids
            stream not boolean              | {"prompt": [1], "stream": "yes"}     | true or false        | stream
            options without stream          | {"prompt": [1], "stream_options": {"include_usage": true}} | only allowed with stream | stream_options
            n of two                        | {"prompt": [1], "n": 2}              | only n = 1           | n
            logprobs                        | {"prompt": [1], "logprobs": 1}       | logprobs are not supported | logprobs
            stop strings                    | {"prompt": [1], "stop": ["x"]}       | use stop_token_ids   | stop
            presence penalty over 2         | {"prompt": [1], "presence_penalty": 2.5} | presence_penalty must be in [-2, 2], got 2.5 | presence_penalty
            frequency penalty under -2      | {"prompt": [1], "frequency_penalty": -3} | frequency_penalty must be in [-2, 2], got -3.0 | frequency_penalty
            repetition penalty zero         | {"prompt": [1], "repetition_penalty": 0} | repetition_penalty must be greater than zero, got 0.0 | repetition_penalty
            repetition penalty as text      | {"prompt": [1], "repetition_penalty": "1.2"} | must be a number | repetition_penalty
            min_p over 1                    | {"prompt": [1], "min_p": 1.5}        | min_p must be in [0, 1], got 1.5 | min_p
            echo                            | {"prompt": [1], "echo": true}        | echo is not supported | echo
            model not a string              | {"prompt": [1], "model": 3}          | model must be a string | model
            """)
    void isRefusedWith400AndAnErrorBody(String name, String body, String message, String param) throws Exception {
        var response = TestHttp.post(completions, body);
        assertThat(response.status()).as(name + ": " + response.body()).isEqualTo(400);
        JsonNode error = response.json().get("error");
        assertThat(error.get("message").asText()).contains(message);
        assertThat(error.get("type").asText()).isEqualTo("BadRequestError");
        assertThat(error.get("code").asInt()).isEqualTo(400);
        if (param == null) assertThat(error.get("param").isNull()).isTrue();
        else assertThat(error.get("param").asText()).isEqualTo(param);
    }

    @Test
    void anUnknownModelIs404() throws Exception {
        var response = TestHttp.post(completions, "{\"model\": \"gpt-5\", \"prompt\": [1]}");
        assertThat(response.status()).isEqualTo(404);
        assertThat(response.json().get("error").get("message").asText()).isEqualTo("The model `gpt-5` does not exist.");
    }

    @Test
    void wrongMethodsAndPaths() throws Exception {
        var get = TestHttp.get(completions);
        assertThat(get.status()).isEqualTo(405);
        assertThat(get.json().get("error").get("message").asText()).contains("use POST");
        assertThat(get.json().get("error").get("type").asText()).isEqualTo("MethodNotAllowed");
        var missing = TestHttp.get(server.uri().resolve("/v2/nothing"));
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.json().get("error").get("message").asText()).contains("no such endpoint");
        var delete = TestHttp.send(HttpRequest.newBuilder(server.uri().resolve("/v1/models"))
                .DELETE()
                .build());
        assertThat(delete.status()).isEqualTo(405);
    }

    @Test
    void aTooLargeBodyIs413() throws Exception {
        var response = TestHttp.post(completions, "{\"prompt\": [" + "1,".repeat(1 << 20) + "1]}");
        assertThat(response.status()).isEqualTo(413);
        assertThat(response.json().get("error").get("message").asText()).contains("exceeds");
    }

    @Test
    void deeplyNestedJsonIs400() throws Exception {
        var response = TestHttp.post(completions, "{\"prompt\": " + "[".repeat(5000) + "]".repeat(5000) + "}");
        assertThat(response.status()).isEqualTo(400);
        assertThat(response.json().get("error").get("message").asText()).contains("not valid JSON");
    }

    @Test
    void theServerStillAnswersAfterBadRequests() throws Exception {
        TestHttp.post(completions, "{{{");
        var ok = TestHttp.post(completions, "{\"prompt\": [1, 2, 3], \"max_tokens\": 2}");
        assertThat(ok.status()).isEqualTo(200);
        assertThat(ok.json().get("choices").get(0).get("token_ids")).hasSize(2);
        assertThat(server.metrics().requests("bad_request")).isPositive();
    }

    @Test
    void aBodyJacksonTakesForUtf32Is400() throws Exception {
        // found by CompletionRequestFuzzTest: four zero bytes make Jackson read UTF-32 and throw
        // CharConversionException,
        // an IOException that is no JacksonException, so it escaped the 400 path
        byte[] body = "\0\0\0\0{\"prompt\": [1]}".getBytes(StandardCharsets.ISO_8859_1);
        var response = TestHttp.send(HttpRequest.newBuilder(completions)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build());
        assertThat(response.status()).as(response.body()).isEqualTo(400);
        assertThat(response.json().get("error").get("message").asText())
                .startsWith("the request body is not valid JSON: Invalid UTF-32 character");
    }
}
