package dev.veil.engine;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A self-signed key pair for 127.0.0.1, made by the JDK's keytool (the JDK has no public API for certificates), for the
 * servers' TLS tests: {@code server.p12} (the key pair) and, for clients that read them, {@code ca.pem} (its
 * certificate) and {@code trust.p12} (a truststore holding it). keytool runs once (a JVM start, 1-2 s).
 */
public final class TestTls {

    public static final String PASSWORD = "test-only-password";

    private TestTls() {}

    /** Makes {@code dir/server.p12} and returns it. */
    public static Path keystore(Path dir) throws Exception {
        keytool(
                dir,
                "-genkeypair",
                "-alias",
                "setup",
                "-keyalg",
                "EC",
                "-groupname",
                "secp256r1",
                "-dname",
                "CN=127.0.0.1",
                "-ext",
                "SAN=ip:127.0.0.1",
                "-validity",
                "2",
                "-storetype",
                "PKCS12",
                "-keystore",
                "server.p12",
                "-storepass",
                PASSWORD,
                "-keypass",
                PASSWORD);
        return dir.resolve("server.p12");
    }

    /**
     * Writes the key pair's certificate as {@code dir/ca.pem} and a truststore {@code dir/trust.p12} holding it, for
     * clients that read a PEM or a truststore (in Java: keytool's certificate, without another JVM start).
     */
    public static void exportTrust(Path dir) throws Exception {
        KeyStore server = KeyStore.getInstance(dir.resolve("server.p12").toFile(), PASSWORD.toCharArray());
        Certificate cert = server.getCertificate("setup");
        Files.writeString(
                dir.resolve("ca.pem"),
                "-----BEGIN CERTIFICATE-----\n"
                        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                                .encodeToString(cert.getEncoded())
                        + "\n-----END CERTIFICATE-----\n");
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("setup-ca", cert);
        try (OutputStream out = Files.newOutputStream(dir.resolve("trust.p12"))) {
            trust.store(out, PASSWORD.toCharArray());
        }
    }

    private static void keytool(Path dir, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "keytool").toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("keytool.log").toFile())
                .start();
        if (!p.waitFor(2, TimeUnit.MINUTES) || p.exitValue() != 0)
            throw new IllegalStateException(
                    "keytool " + args[0] + " failed: " + Files.readString(dir.resolve("keytool.log")));
    }

    /** A client context that trusts the key pair's certificate in {@code dir/server.p12} (made by {@link #keystore}). */
    public static SSLContext trusting(Path dir) throws Exception {
        // the JDK's trust manager takes a key entry's own certificate as trusted, so the keystore serves as truststore
        KeyStore trust = KeyStore.getInstance(dir.resolve("server.p12").toFile(), PASSWORD.toCharArray());
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }
}
