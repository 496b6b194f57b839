package dev.veil.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veil.engine.SamplingParams;
import dev.veil.model.ModelFiles;
import dev.veil.server.TestHttp;
import dev.veil.talaria.authority.SetupAuthority;
import dev.veil.talaria.authority.SetupServer;
import dev.veil.talaria.client.CloudConnection;
import dev.veil.talaria.client.TalariaOptions;
import dev.veil.talaria.client.TalariaRuntime;
import dev.veil.talaria.client.Transport;
import dev.veil.talaria.cloud.CloudServer;
import dev.veil.talaria.cloud.FoldedModel;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code veil gateway --mode talaria}: the same OpenAI API, with the Talaria client runtime behind it. With the default
 * masks (one-time pools on the hidden rows and on the one-hot embedding rows of this fixture's 151,669-id vocabulary)
 * and the integrity check, the greedy chat answer is the plain model's, token for token, and the untrusted view lists
 * only masked-tensor sizes, no id. (This test found the odd-vocabulary pool bug: see MaskPrg.gaussians.)
 */
class TalariaGatewayTest {

    @TempDir
    static Path dir;

    @Test
    void chatThroughTalariaIsThePlainModelsGreedyAnswer() throws Exception {
        try (PrivateChatFixture chat = PrivateChatFixture.start(dir);
                ModelFiles plain = ModelFiles.open(chat.plainDir)) {
            FoldedModel folded = FoldedModel.fold(plain.config(), plain.weights());
            try (CloudServer cloud = CloudServer.start(folded, CloudServer.Options.loopback(0));
                    SetupServer setup = SetupServer.start(new SetupAuthority(folded), "127.0.0.1", 0);
                    var backend = new TalariaBackend(TalariaRuntime.connect(
                            cloud.uri(),
                            setup.uri(),
                            TalariaOptions.DEFAULT,
                            Transport.Kind.SOCKET,
                            CloudConnection.Retry.DEFAULT,
                            TalariaRuntime.Decoys.NONE));
                    GatewayServer gateway = GatewayServer.start(
                            GatewayOptions.defaults(PrivateChatFixture.MODEL)
                                    .withAddress("127.0.0.1", 0)
                                    .withShowUntrusted(true),
                            chat.tokenizer,
                            backend)) {
                String question = "What did the committee decide about the budget?";
                int[] prompt = chat.chatPromptIds(question);
                int[] plainIds = chat.plainIds(prompt, 24, SamplingParams.GREEDY);

                ObjectNode request = GatewayEndToEndTest.chatRequest(question, false);
                request.put("max_tokens", 24);
                request.put("veil_untrusted", true);
                var response = TestHttp.post(gateway.uri().resolve("/v1/chat/completions"), request);
                assertThat(response.status()).as(response.body()).isEqualTo(200);
                JsonNode body = response.json();
                assertThat(body.path("choices")
                                .path(0)
                                .path("message")
                                .path("content")
                                .asText())
                        .isEqualTo(chat.tokenizer.decode(plainIds, true));
                assertThat(body.path("usage").path("completion_tokens").asInt()).isEqualTo(plainIds.length);

                JsonNode seen = body.path("veil_untrusted");
                assertThat(seen.path("mode").asText()).isEqualTo("talaria");
                assertThat(seen.path("prompt_token_ids"))
                        .as("the cloud receives no token id")
                        .isEmpty();
                assertThat(seen.path("token_ids")).isEmpty();
                int fed = prompt.length + plainIds.length - 1;
                assertThat(seen.toString())
                        .contains("\"rows\":" + fed * plain.config().numLayers());

                // penalties are applied here, in the client runtime's sampler: the plain model's penalised answer
                int[] penalised = chat.plainIds(prompt, 24, SamplingParams.GREEDY.withPenalties(1.5, 0.5, 0.75));
                assertThat(penalised).isNotEqualTo(plainIds);
                request.put("repetition_penalty", 1.5);
                request.put("presence_penalty", 0.5);
                request.put("frequency_penalty", 0.75);
                var again = TestHttp.post(gateway.uri().resolve("/v1/chat/completions"), request);
                assertThat(again.status()).as(again.body()).isEqualTo(200);
                assertThat(again.json()
                                .path("choices")
                                .path(0)
                                .path("message")
                                .path("content")
                                .asText())
                        .isEqualTo(chat.tokenizer.decode(penalised, true));
            }
        }
    }
}
