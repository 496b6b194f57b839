package dev.veil.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.File;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The server is the untrusted side: nothing that holds a user's secrets may be on its classpath — not the plaintext
 * tokenizer, not the AloePri key, not the Talaria client runtime, not the gateway. The pom's enforcer rule stops such a
 * dependency at build time; this test checks what actually got onto the (test) classpath.
 */
class TrustBoundaryTest {

    @Test
    void noSecretHoldingClassIsLoadable() {
        for (String cls : List.of(
                "dev.veil.tokenizer.Tokenizer",
                "dev.veil.aloepri.KeyFile",
                "dev.veil.aloepri.VocabPermutation",
                "dev.veil.talaria.client.MaskedRemoteBackend",
                "dev.veil.gateway.GatewayServer"))
            assertThatThrownBy(() -> Class.forName(cls)).as(cls).isInstanceOf(ClassNotFoundException.class);
    }

    @Test
    void noSecretHoldingModuleIsOnTheClasspath() {
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            String e = entry.replace('\\', '/');
            assertThat(e)
                    .as("classpath entry")
                    .doesNotContain("/tokenizer/target")
                    .doesNotContain("veil-tokenizer")
                    .doesNotContain("/aloepri/target")
                    .doesNotContain("veil-aloepri")
                    .doesNotContain("talaria-client")
                    .doesNotContain("/gateway/target")
                    .doesNotContain("veil-gateway");
        }
    }
}
