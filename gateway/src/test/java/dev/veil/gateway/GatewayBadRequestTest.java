package dev.veil.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.veil.server.TestHttp;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Malformed app requests: 400 (or 404/405/413) with OpenAI's error JSON, and the gateway carries on. */
class GatewayBadRequestTest extends PrivateChatTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            not json             | /v1/chat/completions | {"model": "veil-test", "messages": [     | not valid JSON                 |
            array body           | /v1/chat/completions | []                                        | must be a JSON object          |
            no model             | /v1/chat/completions | {"messages": [{"role": "user", "content": "hi"}]} | model is required   | model
            no messages          | /v1/chat/completions | {"model": "veil-test"}                    | messages must be a non-empty   | messages
            empty messages       | /v1/chat/completions | {"model": "veil-test", "messages": []}    | messages must be a non-empty   | messages
            message not object   | /v1/chat/completions | {"model": "veil-test", "messages": ["hi"]} | messages[0] must be an object | messages
            bad role             | /v1/chat/completions | {"model": "veil-test", "messages": [{"role": "wizard", "content": "hi"}]} | role must be | messages
            image part           | /v1/chat/completions | {"model": "veil-test", "messages": [{"role": "user", "content": [{"type": "image_url"}]}]} | content parts must be | messages
            content number       | /v1/chat/completions | {"model": "veil-test", "messages": [{"role": "user", "content": 5}]} | content must be | messages
            temperature high     | /v1/chat/completions | {"model": "veil-test", "messages": [{"role": "user", "content": "hi"}], "temperature": 3} | temperature must be | temperature
            max tokens zero      | /v1/chat/completions | {"model": "veil-test", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 0} | positive integer | max_tokens
            max tokens int max   | /v1/chat/completions | {"model": "veil-test", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 2147483647} | you requested 21474836 | max_tokens
            over context         | /v1/chat/completions | {"model": "veil-test", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 100000} | maximum context length is 512 | max_tokens
            five stops           | /v1/chat/completions | {"model": "veil-test", "messages": [{"role": "user", "content": "hi"}], "stop": ["a","b","c","d","e"]} | up to 4 strings | stop
            empty stop           | /v1/chat/completions | {"model": "veil-test", "messages": [{"role": "user", "content": "hi"}], "stop": [""]} | non-empty strings | stop
            n two                | /v1/chat/completions | {"model": "veil-test", "messages": [{"role": "user", "content": "hi"}], "n": 2} | only n = 1 | n
            tools                | /v1/chat/completions | {"model": "veil-test", "messages": [{"role": "user", "content": "hi"}], "tools": [{}]} | tools are not supported | tools
            presence penalty     | /v1/chat/completions | {"model": "veil-test", "messages": [{"role": "user", "content": "hi"}], "presence_penalty": 2.5} | presence_penalty must be between -2 and 2 | presence_penalty
            frequency penalty    | /v1/chat/completions | {"model": "veil-test", "messages": [{"role": "user", "content": "hi"}], "frequency_penalty": -2.5} | frequency_penalty must be between -2 and 2 | frequency_penalty
            repetition penalty   | /v1/completions      | {"model": "veil-test", "prompt": "a", "repetition_penalty": 0} | repetition_penalty must be greater than 0 | repetition_penalty
            min_p                | /v1/completions      | {"model": "veil-test", "prompt": "a", "min_p": -0.1} | min_p must be in [0, 1] | min_p
            logprobs             | /v1/chat/completions | {"model": "veil-test", "messages": [{"role": "user", "content": "hi"}], "logprobs": true} | logprobs | logprobs
            stream not bool      | /v1/chat/completions | {"model": "veil-test", "messages": [{"role": "user", "content": "hi"}], "stream": 1} | true or false | stream
            seed text            | /v1/chat/completions | {"model": "veil-test", "messages": [{"role": "user", "content": "hi"}], "seed": "7"} | seed must be | seed
            prompt missing       | /v1/completions      | {"model": "veil-test"}                    | prompt must be a string        | prompt
            prompt ids           | /v1/completions      | {"model": "veil-test", "prompt": [1, 2]}  | prompt must be a string        | prompt
            two prompts          | /v1/completions      | {"model": "veil-test", "prompt": ["a", "b"]} | prompt must be a string     | prompt
            echo                 | /v1/completions      | {"model": "veil-test", "prompt": "a", "echo": true} | echo is not supported | echo
            """)
    void isRefusedWithAnOpenAiError(String name, String path, String body, String message, String param)
            throws Exception {
        var response = TestHttp.post(gateway.resolve(path), body);
        assertThat(response.status()).as(name + ": " + response.body()).isEqualTo(400);
        JsonNode error = response.json().get("error");
        assertThat(error.get("message").asText()).contains(message);
        assertThat(error.get("type").asText()).isEqualTo("invalid_request_error");
        if (param == null) assertThat(error.get("param").isNull()).isTrue();
        else assertThat(error.get("param").asText()).isEqualTo(param);
        assertThat(error.has("code")).isTrue();
    }

    @Test
    void unknownModelPathAndMethod() throws Exception {
        var wrongModel = TestHttp.post(
                gateway.resolve("/v1/chat/completions"),
                "{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}");
        assertThat(wrongModel.status()).isEqualTo(404);
        assertThat(wrongModel.json().get("error").get("code").asText()).isEqualTo("model_not_found");
        var wrongMethod = TestHttp.get(gateway.resolve("/v1/chat/completions"));
        assertThat(wrongMethod.status()).isEqualTo(405);
        assertThat(wrongMethod.json().at("/error/type").asText()).isEqualTo("invalid_request_error");
        assertThat(TestHttp.get(gateway.resolve("/v1/embeddings")).status()).isEqualTo(404);
        var ok = TestHttp.post(
                gateway.resolve("/v1/chat/completions"),
                "{\"model\": \"veil-test\", \"messages\": [{\"role\": \"developer\", \"content\": \"be brief\"}, {\"role\": \"user\", \"content\": [{\"type\": \"text\", \"text\": \"hi\"}]}], \"max_tokens\": 2}");
        assertThat(ok.status()).isEqualTo(200);
    }

    @Test
    void theChatPageIsServed() throws Exception {
        var page = TestHttp.get(gateway);
        assertThat(page.status()).isEqualTo(200);
        assertThat(page.contentType()).startsWith("text/html");
        assertThat(page.body()).contains("What the untrusted server received", "chat.js");
        assertThat(TestHttp.get(gateway.resolve("/chat.js")).body()).contains("veil_untrusted");
        assertThat(TestHttp.get(gateway.resolve("/chat.css")).contentType()).startsWith("text/css");
    }

    @Test
    void aBodyJacksonTakesForUtf32Is400() throws Exception {
        // as for the token server (found by its fuzz target): Jackson's UTF-32 detection throws a non-Jackson
        // IOException
        byte[] body = "\0\0\0\0{\"model\": \"veil-test\"}".getBytes(StandardCharsets.ISO_8859_1);
        var response = TestHttp.send(HttpRequest.newBuilder(gateway.resolve("/v1/chat/completions"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build());
        assertThat(response.status()).as(response.body()).isEqualTo(400);
        assertThat(response.body()).contains("the request body is not valid JSON: Invalid UTF-32 character");
    }
}
