package dev.veil.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.engine.SamplingParams;
import dev.veil.tokenizer.ChatTemplate;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chat page in headless Chromium, used as a person would: type a question, press Send, read the answer; twice.
 * The answers are the plain model's, and beside them the page shows the obfuscated ids the untrusted server received
 * and returned each turn. Takes a screenshot (target/chat-page.png).
 */
class ChatPageTest {

    @TempDir
    Path dir;

    @Test
    void aTwoTurnConversationAndWhatTheServerSaw() throws Exception {
        try (PrivateChatFixture chat = PrivateChatFixture.start(dir, false, o -> o.withShowUntrusted(true));
                Chromium browser = Chromium.launch()) {
            browser.call("Page.enable", null);
            browser.navigate(chat.gatewayUri());
            browser.waitFor("document.getElementById('model').textContent.includes('aloepri')", Duration.ofSeconds(30));
            assertThat(browser.eval("document.getElementById('model').textContent")
                            .asText())
                    .contains("veil-test");
            browser.eval(
                    "document.getElementById('temperature').value = '0'; document.getElementById('maxTokens').value = '16'");

            String first = "What is the capital of France?";
            ask(browser, first, 1);
            String answer1 = browser.eval("document.querySelectorAll('.msg.assistant')[0].textContent")
                    .asText();
            int[] prompt1 = chat.chatPromptIds(first);
            assertThat(answer1).isEqualTo(chat.plainAnswer(prompt1, 16, SamplingParams.GREEDY));

            String second = "And of Italy?";
            ask(browser, second, 2);
            String answer2 = browser.eval("document.querySelectorAll('.msg.assistant')[1].textContent")
                    .asText();
            var template = chat.tokenizer.chatTemplate().orElseThrow();
            int[] prompt2 = chat.tokenizer.encode(
                    template.render(
                            List.of(
                                    new ChatTemplate.Message("user", first),
                                    new ChatTemplate.Message("assistant", answer1),
                                    new ChatTemplate.Message("user", second)),
                            true),
                    false,
                    true);
            assertThat(answer2).isEqualTo(chat.plainAnswer(prompt2, 16, SamplingParams.GREEDY));

            // the right-hand pane: per turn, the obfuscated prompt ids the server received and the ids it returned
            assertThat(browser.eval("document.querySelectorAll('.turn').length").asInt())
                    .isEqualTo(2);
            String shown1 = browser.eval(
                            "document.querySelectorAll('.turn')[0].querySelectorAll('.ids')[0].textContent")
                    .asText();
            String shown2 = browser.eval(
                            "document.querySelectorAll('.turn')[1].querySelectorAll('.ids')[1].textContent")
                    .asText();
            assertThat(shown1).isEqualTo(joined(chat.key.permutation().obfuscate(prompt1)));
            assertThat(shown2)
                    .isEqualTo(joined(
                            chat.key.permutation().obfuscate(chat.plainIds(prompt2, 16, SamplingParams.GREEDY))));
            String pane = browser.eval("document.getElementById('untrusted').textContent")
                    .asText();
            assertThat(pane).doesNotContain("France").doesNotContain("Italy").contains("obfuscated prompt ids");

            Path png = Path.of("target", "chat-page.png");
            browser.screenshot(png);
            assertThat(Files.size(png)).isGreaterThan(10_000);
            byte[] magic = Arrays.copyOf(Files.readAllBytes(png), 8);
            assertThat(magic).containsExactly(0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A);
        }
    }

    /**
     * The default gateway: the untrusted panel is hidden and the request does not ask for it; with an API key the page
     * sends the key it keeps in sessionStorage (here put there before the page loads, standing in for the prompt).
     */
    @Test
    void withTheViewOffAndAnApiKeyThePageHidesThePanelAndSendsTheKey() throws Exception {
        try (PrivateChatFixture chat = PrivateChatFixture.start(dir, false, o -> o.withApiKey("page-key"));
                Chromium browser = Chromium.launch()) {
            browser.call("Page.enable", null);
            browser.navigate(chat.gatewayUri().resolve("/veil/config"));
            browser.eval("sessionStorage.setItem('veil-api-key', 'page-key')");
            browser.navigate(chat.gatewayUri());
            browser.waitFor("document.getElementById('model').textContent.includes('aloepri')", Duration.ofSeconds(30));
            assertThat(browser.eval("document.getElementById('untrustedPane').hidden")
                            .asBoolean())
                    .isTrue();
            assertThat(ChatPage.askGreedy(browser, "Hello?", 8))
                    .isEqualTo(chat.plainAnswer(chat.chatPromptIds("Hello?"), 8, SamplingParams.GREEDY));
        }
    }

    private static void ask(Chromium browser, String question, int turn) throws Exception {
        browser.eval("document.getElementById('input').focus()");
        browser.type(question);
        browser.eval("document.getElementById('send').click()");
        browser.waitFor(
                "document.querySelectorAll('.msg.assistant.done').length === " + turn
                        + " && document.querySelectorAll('.turn').length === " + turn,
                Duration.ofSeconds(60));
        assertThat(browser.eval("document.querySelectorAll('.msg.error').length")
                        .asInt())
                .isZero();
    }

    private static String joined(int[] ids) {
        return Arrays.stream(ids).mapToObj(Integer::toString).collect(Collectors.joining(" "));
    }
}
