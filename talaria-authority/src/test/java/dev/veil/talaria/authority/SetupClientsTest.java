package dev.veil.talaria.authority;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The clients file: the line a new token makes authenticates that token and no other; mistakes name their line. */
class SetupClientsTest {

    @TempDir
    Path dir;

    @Test
    void aTokensLineAuthenticatesItAndStoresOnlyItsHash() throws Exception {
        String alice = SetupClients.newToken(), bob = SetupClients.newToken();
        assertThat(alice).hasSize(47).startsWith("vst_").isNotEqualTo(bob); // "vst_" + 32 random bytes, base64url
        String line = SetupClients.line("alice", alice, null);
        assertThat(line).matches("alice [0-9a-f]{64}").doesNotContain(alice);
        Path file = dir.resolve("clients");
        Files.writeString(
                file,
                "# issued after attestation\n" + line + "\n\n" + SetupClients.line("bob", bob, RowBudget.UNLIMITED)
                        + "  # attested image v2\n");
        SetupClients clients = SetupClients.read(file);
        assertThat(clients.size()).isEqualTo(2);
        assertThat(clients.authenticate(alice).orElseThrow().id()).isEqualTo("alice");
        assertThat(clients.authenticate(bob).orElseThrow().id()).isEqualTo("bob");
        assertThat(clients.authenticate(alice + "x")).isEmpty();
        assertThat(clients.budgetOf("alice")).isEmpty();
        assertThat(clients.budgetOf("bob")).contains(RowBudget.UNLIMITED);
        assertThat(RowBudget.parse("120").capFor(64)).isEqualTo(120);
        assertThat(RowBudget.DEFAULT.capFor(896)).isEqualTo(895);
    }

    @Test
    void mistakesAreNamedWithTheirLine() throws Exception {
        Path file = dir.resolve("clients");
        Files.writeString(file, SetupClients.line("a", "t", null) + "\nb some-token-in-clear\n");
        assertThatThrownBy(() -> SetupClients.read(file))
                .hasMessageContaining("line 2: the token hash must be 64 hex digits");
        Files.writeString(file, SetupClients.line("a", "t", null) + "\n" + SetupClients.line("a", "u", null) + "\n");
        assertThatThrownBy(() -> SetupClients.read(file)).hasMessageContaining("client 'a' is listed twice");
        Files.writeString(file, SetupClients.line("a", "t", null) + " lots\n");
        assertThatThrownBy(() -> SetupClients.read(file)).hasMessageContaining("line 1: row budget must be a number");
        Files.writeString(file, "# nobody yet\n");
        assertThatThrownBy(() -> SetupClients.read(file)).hasMessageContaining("lists no client");
        assertThatThrownBy(() -> SetupClients.line("a b", "t", null)).hasMessageContaining("client id must be");
    }
}
