package dev.veil.aloepri;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 16's key-file findings: bounded PBKDF2 iterations, an atomic no-overwrite, owner-only on read. */
class KeyFileHardeningTest {
    @TempDir
    Path tmp;

    private Path encrypted() throws Exception {
        Path f = tmp.resolve("secret.key");
        KeyFile.write(f, KeyFileTest.sampleKey(), "pw".toCharArray());
        return f;
    }

    /** The encrypted file with one header field replaced, written owner-only as the reader demands. */
    private Path edited(Path f, String from, String to) throws Exception {
        String text = Files.readString(f);
        assertThat(text).contains(from);
        Path out = tmp.resolve("edited-" + Math.abs(to.hashCode()) + ".key");
        Files.writeString(out, text.replace(from, to));
        Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rw-------"));
        return out;
    }

    @Test
    void anIterationCountOutsideTheBoundIsRefusedBeforePbkdf2Runs() throws Exception {
        Path f = encrypted();
        for (String n : List.of("2147483647", "6000001", "0", "-5", "1.5", "\"600000\"")) {
            Path bad = edited(f, "\"iterations\" : 600000", "\"iterations\" : " + n);
            assertThatThrownBy(() -> KeyFile.read(bad, "pw".toCharArray()))
                    .hasMessage(bad + ": PBKDF2 iteration count " + n + " is outside 1..6000000");
        }
        // inside the bound the count is read, and bound into the tag: altered, so refused as altered
        Path altered = edited(f, "\"iterations\" : 600000", "\"iterations\" : 1000");
        assertThatThrownBy(() -> KeyFile.read(altered, "pw".toCharArray()))
                .hasMessageEndingWith("wrong passphrase, or the key file was altered");
    }

    @Test
    void aMalformedIvOrSaltIsADamagedFileNotAnInternalError() throws Exception {
        Path f = encrypted();
        String iv = Files.readString(f).replaceAll("(?s).*\"iv\" : \"([^\"]*)\".*", "$1");
        Path noIv = edited(f, "\"iv\" : \"" + iv + "\"", "\"iv\" : \"\"");
        assertThatThrownBy(() -> KeyFile.read(noIv, "pw".toCharArray()))
                .hasMessage(noIv + ": damaged key file (salt of 16 bytes, IV of 0 bytes; expected 16 and 12)");
    }

    @Test
    void ofWritersRacingForOneNameExactlyOneWinsAndItsKeyIsWhatIsRead() throws Exception {
        Path f = tmp.resolve("race.key");
        int writers = 8;
        CountDownLatch start = new CountDownLatch(1);
        AtomicInteger refused = new AtomicInteger();
        List<Future<String>> results = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(writers)) {
            for (int i = 0; i < writers; i++) {
                String created = "writer-" + i;
                Callable<String> write = () -> {
                    AloePriKey k = KeyFileTest.sampleKey();
                    AloePriKey mine = new AloePriKey(
                            k.params(),
                            k.architecture(),
                            k.hiddenSize(),
                            k.obfuscatedHiddenSize(),
                            k.permutation(),
                            k.fixedTokens(),
                            k.plainFingerprint(),
                            k.obfuscatedFingerprint(),
                            k.kappa(),
                            created);
                    start.await();
                    try {
                        KeyFile.write(f, mine, null);
                        return created;
                    } catch (FileAlreadyExistsException e) {
                        assertThat(e.getMessage()).contains("refusing to overwrite");
                        refused.incrementAndGet();
                        return null;
                    }
                };
                results.add(pool.submit(write));
            }
            start.countDown();
        }
        List<String> winners = new ArrayList<>();
        for (Future<String> r : results) if (r.get() != null) winners.add(r.get());
        assertThat(winners).hasSize(1);
        assertThat(refused.get()).isEqualTo(writers - 1);
        assertThat(KeyFile.read(f, null).created()).isEqualTo(winners.getFirst());
        try (var files = Files.list(tmp)) {
            assertThat(files.map(p -> p.getFileName().toString()).toList())
                    .containsExactly("race.key"); // no temp file left
        }
    }

    @Test
    void aFileThatIsNotOursIsNeitherReplacedNorDeleted() throws Exception {
        Path f = tmp.resolve("taken.key");
        Files.writeString(f, "someone else's");
        assertThatThrownBy(() -> KeyFile.write(f, KeyFileTest.sampleKey(), null))
                .isInstanceOf(FileAlreadyExistsException.class);
        assertThat(Files.readString(f)).isEqualTo("someone else's");
    }

    @Test
    void aKeyFileOthersCanReadOrChangeIsRefusedAsSshRefusesOne() throws Exception {
        Path f = tmp.resolve("model.key");
        KeyFile.write(f, KeyFileTest.sampleKey(), null);
        for (String perms : List.of("rw-r--r--", "rw-r-----", "rw----r--", "rw--w----")) {
            Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(perms));
            assertThatThrownBy(() -> KeyFile.read(f, null))
                    .hasMessage(f + ": permissions " + perms
                            + " let others read or change the key; it must be owner-only (chmod 600 " + f
                            + "), and a key others could read should be treated as leaked");
        }
        for (String perms : List.of("rw-------", "r--------")) {
            Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(perms));
            assertThat(KeyFile.read(f, null).permutation())
                    .isEqualTo(KeyFileTest.sampleKey().permutation());
        }
    }
}
