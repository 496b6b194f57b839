package dev.veil.aloepri;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.aloepri.key.KeyStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeyFileTest {

    @TempDir
    Path tmp;

    static AloePriKey sampleKey() {
        return new AloePriKey(
                AloePriParams.defaults(64).withRouterNorm(false), // not the default: the round trip must carry it
                "qwen2",
                64,
                80,
                VocabPermutation.sample(300, List.of(0, 1), KeyStream.fromSeed("k")),
                List.of(0, 1),
                "aa".repeat(32),
                "bb".repeat(32),
                new double[] {0.97, 0.98},
                "2026-01-01T00:00:00Z");
    }

    @Test
    void plainKeyRoundTripsAndIsOwnerOnly() throws Exception {
        Path f = tmp.resolve("model.key");
        AloePriKey k = sampleKey();
        KeyFile.write(f, k, null);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f)))
                .isEqualTo("rw-------");
        AloePriKey back = KeyFile.read(f, null);
        assertThat(back.permutation()).isEqualTo(k.permutation());
        assertThat(back.params()).isEqualTo(k.params());
        assertThat(back.fixedTokens()).containsExactly(0, 1);
        assertThat(back.kappa()).containsExactly(0.97, 0.98);
        assertThat(back.obfuscatedFingerprint()).isEqualTo("bb".repeat(32));
        assertThat(KeyFile.isEncrypted(f)).isFalse();
        assertThatThrownBy(() -> KeyFile.write(f, k, null)).hasMessageContaining("refusing to overwrite");
    }

    @Test
    void encryptedKeyNeedsTheRightPassphraseAndResistsTampering() throws Exception {
        Path f = tmp.resolve("secret.key");
        KeyFile.write(f, sampleKey(), "correct horse".toCharArray());
        String text = Files.readString(f);
        assertThat(text).doesNotContain("permutation").contains("AES-256-GCM");
        assertThat(KeyFile.read(f, "correct horse".toCharArray()).permutation())
                .isEqualTo(sampleKey().permutation());
        assertThatThrownBy(() -> KeyFile.read(f, null)).hasMessageContaining("encrypted; give its passphrase");
        assertThatThrownBy(() -> KeyFile.read(f, "wrong".toCharArray())).hasMessageContaining("wrong passphrase");
        Path tampered = tmp.resolve("tampered.key");
        Files.writeString(tampered, text.replace("\"iterations\" : 600000", "\"iterations\" : 600001"));
        Files.setPosixFilePermissions(
                tampered, PosixFilePermissions.fromString("rw-------")); // a key file must be owner-only
        assertThatThrownBy(() -> KeyFile.read(tampered, "correct horse".toCharArray()))
                .hasMessageContaining("wrong passphrase, or the key file was altered");
    }

    @Test
    void notAKeyFileOrAnotherVersionIsRefusedClearly() throws Exception {
        Path junk = tmp.resolve("junk.key");
        Files.writeString(junk, "hello");
        assertThatThrownBy(() -> KeyFile.read(junk, null)).hasMessageContaining("junk.key: not an AloePri key file");
        Path other = tmp.resolve("other.key");
        Files.writeString(other, "{\"format\":\"something\"}");
        assertThatThrownBy(() -> KeyFile.read(other, null)).hasMessageContaining("format is not 'veil-aloepri-key'");
        Path future = tmp.resolve("future.key");
        Files.writeString(future, "{\"format\":\"veil-aloepri-key\",\"version\":9,\"key\":{}}");
        assertThatThrownBy(() -> KeyFile.read(future, null)).hasMessageContaining("version 9 is not supported");
        Path damaged = tmp.resolve("damaged.key");
        Files.writeString(damaged, "{\"format\":\"veil-aloepri-key\",\"version\":1,\"key\":{\"params\":{}}}");
        Files.setPosixFilePermissions(
                damaged, PosixFilePermissions.fromString("rw-------")); // a key file must be owner-only
        assertThatThrownBy(() -> KeyFile.read(damaged, null)).hasMessageContaining("damaged key: missing 'lambda'");
        assertThatThrownBy(() -> KeyFile.read(tmp.resolve("none.key"), null)).hasMessageContaining("no such key file");
    }
}
