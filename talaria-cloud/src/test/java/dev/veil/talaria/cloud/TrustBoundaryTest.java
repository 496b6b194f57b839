package dev.veil.talaria.cloud;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.File;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The cloud is the untrusted side: nothing that holds a user's secrets may be on its classpath — not the client
 * runtime (masks, seeds), not the tokenizer (plaintext text), not the AloePri keys, not the setup authority (clients' seeds). The pom's enforcer rule stops the
 * dependency at build time; this test checks what actually got onto the classpath.
 */
class TrustBoundaryTest {

    @Test
    void noSecretHoldingClassIsLoadable() {
        for (String cls : List.of(
                "dev.veil.talaria.client.MaskedRemoteBackend",
                "dev.veil.tokenizer.Tokenizer",
                "dev.veil.talaria.authority.SetupServer"))
            assertThatThrownBy(() -> Class.forName(cls)).as(cls).isInstanceOf(ClassNotFoundException.class);
    }

    @Test
    void noSecretHoldingModuleIsOnTheClasspath() {
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            String e = entry.replace('\\', '/');
            assertThat(e)
                    .as("classpath entry")
                    .doesNotContain("talaria-client/")
                    .doesNotContain("veil-talaria-client")
                    .doesNotContain("/tokenizer/target")
                    .doesNotContain("veil-tokenizer")
                    .doesNotContain("/aloepri/target")
                    .doesNotContain("veil-aloepri")
                    .doesNotContain("talaria-authority/")
                    .doesNotContain("veil-talaria-authority");
        }
    }
}
