package dev.veil.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

/** The gateway's chat page as a user drives it in {@link Chromium}; the gateway's and the bench's page tests use it. */
public final class ChatPage {

    private ChatPage() {}

    /**
     * On a freshly loaded page: temperature 0, at most {@code maxTokens}, types {@code question} and sends it; waits for
     * the answer or an error, asserts there is no error and returns the answer's text.
     */
    public static String askGreedy(Chromium browser, String question, int maxTokens) throws Exception {
        browser.eval("document.getElementById('temperature').value = '0';"
                + " document.getElementById('maxTokens').value = '" + maxTokens + "'");
        browser.eval("document.getElementById('input').focus()");
        browser.type(question);
        browser.eval("document.getElementById('send').click()");
        browser.waitFor(
                "document.querySelectorAll('.msg.assistant.done, .msg.error').length === 1", Duration.ofSeconds(60));
        assertThat(browser.eval("document.querySelectorAll('.msg.error').length")
                        .asInt())
                .isZero();
        return browser.eval("document.querySelectorAll('.msg.assistant')[0].textContent")
                .asText();
    }
}
