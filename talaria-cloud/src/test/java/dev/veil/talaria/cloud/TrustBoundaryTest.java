package dev.veil.talaria.cloud;

import dev.veil.engine.TrustBoundary;
import org.junit.jupiter.api.Test;

/**
 * The cloud is the untrusted side: nothing that holds a user's secrets may be on its classpath — not the client
 * runtime (masks, seeds), not the tokenizer (plaintext text), not the AloePri keys, not the setup authority (clients' seeds). The pom's enforcer rule stops the
 * dependency at build time; this test checks what actually got onto the classpath.
 */
class TrustBoundaryTest {

    @Test
    void noSecretHoldingClassIsLoadable() {
        TrustBoundary.assertNotLoadable(
                "dev.veil.talaria.client.MaskedRemoteBackend",
                "dev.veil.tokenizer.Tokenizer",
                "dev.veil.talaria.authority.SetupServer");
    }

    @Test
    void noSecretHoldingModuleIsOnTheClasspath() {
        TrustBoundary.assertNotOnClasspath(
                "talaria-client/",
                "veil-talaria-client",
                "/tokenizer/target",
                "veil-tokenizer",
                "/aloepri/target",
                "veil-aloepri",
                "talaria-authority/",
                "veil-talaria-authority");
    }
}
