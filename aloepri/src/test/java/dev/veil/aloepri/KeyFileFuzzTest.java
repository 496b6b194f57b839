package dev.veil.aloepri;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.veil.model.FuzzFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Fuzz target for the AloePri key file reader: any bytes (in an owner-only file) either read as a key or fail with an
 * IOException naming the file — with no passphrase and with a wrong one — never a runtime exception, an error, or a
 * hang (the PBKDF2 iteration count comes from the file and is bounded). Seeds: key files {@link KeyFile#write} wrote.
 */
class KeyFileFuzzTest {
    private static final Path FILE = FuzzFiles.temp("fuzz", ".key");

    @FuzzTest(maxDuration = "2m")
    void readAnyKeyFile(byte[] data) throws IOException {
        Files.write(FILE, data);
        for (char[] passphrase : new char[][] {null, "fuzz".toCharArray()}) {
            try {
                AloePriKey k = KeyFile.read(FILE, passphrase);
                assertThat(k.permutation().forward()).hasSize(k.vocabSize());
            } catch (IOException e) {
                assertThat(e.getMessage()).startsWith(FILE + ": ");
            }
        }
    }
}
