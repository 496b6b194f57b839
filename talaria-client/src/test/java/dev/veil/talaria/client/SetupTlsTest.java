package dev.veil.talaria.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.engine.TestTls;
import dev.veil.model.ModelConfig;
import dev.veil.talaria.authority.SetupAuthority;
import dev.veil.talaria.authority.SetupClients;
import dev.veil.talaria.authority.SetupServer;
import dev.veil.talaria.cloud.FoldedModel;
import dev.veil.talaria.cloud.TinyModels;
import dev.veil.talaria.protocol.MaskPrg;
import dev.veil.talaria.protocol.MaskSpec;
import dev.veil.talaria.protocol.ModelName;
import dev.veil.talaria.protocol.SetupPlan;
import dev.veil.talaria.protocol.SetupRequest;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client reaches an authority behind TLS with a self-signed certificate it is told to trust (PEM or truststore),
 * sends its token, and fails with the server's reason without either. The key pair is made by the JDK's keytool ({@link TestTls}).
 */
class SetupTlsTest {

    static final ModelConfig C = TinyModels.qwen2();
    static final SetupPlan PLAN = new SetupPlan(MaskSpec.pool(4), MaskSpec.pool(4), 1);
    static final String PASSWORD = TestTls.PASSWORD;

    @TempDir
    static Path dir;

    @BeforeAll
    static void keys() throws Exception {
        TestTls.keystore(dir);
        TestTls.exportTrust(dir);
    }

    @Test
    void aSelfSignedAuthorityIsReachedWithItsCertificateAndAToken() throws Exception {
        String token = SetupClients.newToken();
        SetupServer.Options o = SetupServer.Options.secure("127.0.0.1", 0, SetupClients.of("alice", token, null))
                .withTls(SetupServer.tlsContext(dir.resolve("server.p12"), PASSWORD.toCharArray()));
        try (SetupServer s = SetupServer.start(new SetupAuthority(FoldedModel.fold(C, TinyModels.random(C, 4))), o)) {
            assertThat(s.uri().getScheme()).isEqualTo("https");
            SetupRequest req = new SetupRequest(MaskPrg.newSeed(), PLAN);
            try (var pem = new HttpSetupService(s.uri(), token, SetupTls.trusting(dir.resolve("ca.pem"), null))) {
                assertThat(pem.setup(req, C).bundle().get(ModelName.EMBED).poolU())
                        .hasSize(4 * C.hiddenSize());
            }
            try (var store = new HttpSetupService(
                    s.uri(), token, SetupTls.trusting(dir.resolve("trust.p12"), PASSWORD.toCharArray()))) {
                assertThat(store.setup(req, C).bytes()).isPositive();
            }
            try (var noToken = new HttpSetupService(s.uri(), null, SetupTls.trusting(dir.resolve("ca.pem"), null))) {
                assertThatThrownBy(() -> noToken.setup(req, C))
                        .isInstanceOf(TalariaException.class)
                        .hasMessageContaining("refused the setup (HTTP 401)")
                        .hasMessageContaining("no bearer token");
            }
            // the JDK's CAs do not know this certificate: the handshake fails before the seed is sent
            try (var untrusted = new HttpSetupService(s.uri(), token, null)) {
                assertThatThrownBy(() -> untrusted.setup(req, C))
                        .isInstanceOf(TalariaException.class)
                        .hasMessageContaining("unreachable");
            }
            assertThat(s.sessions()).isEqualTo(2);
        }
    }
}
