package dev.veil.server;

import dev.veil.engine.TrustBoundary;
import org.junit.jupiter.api.Test;

/**
 * The server is the untrusted side: nothing that holds a user's secrets may be on its classpath — not the plaintext
 * tokenizer, not the AloePri key, not the Talaria client runtime, not the gateway. The pom's enforcer rule stops such a
 * dependency at build time; this test checks what actually got onto the (test) classpath.
 */
class TrustBoundaryTest {

    @Test
    void noSecretHoldingClassIsLoadable() {
        TrustBoundary.assertNotLoadable(
                "dev.veil.tokenizer.Tokenizer",
                "dev.veil.aloepri.KeyFile",
                "dev.veil.aloepri.VocabPermutation",
                "dev.veil.talaria.client.MaskedRemoteBackend",
                "dev.veil.gateway.GatewayServer");
    }

    @Test
    void noSecretHoldingModuleIsOnTheClasspath() {
        TrustBoundary.assertNotOnClasspath(
                "/tokenizer/target",
                "veil-tokenizer",
                "/aloepri/target",
                "veil-aloepri",
                "talaria-client",
                "/gateway/target",
                "veil-gateway");
    }
}
