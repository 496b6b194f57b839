package dev.veil.talaria.client;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/** TLS to a setup authority whose certificate no public CA signed (an operator's own, or self-signed). */
public final class SetupTls {

    private SetupTls() {}

    /**
     * An SSL context that trusts only the certificates in {@code file}: PEM ({@code -----BEGIN CERTIFICATE-----}, one or
     * more) or a PKCS#12/JKS truststore opened with {@code password} (null: none).
     */
    public static SSLContext trusting(Path file, char[] password) throws IOException, GeneralSecurityException {
        KeyStore trust;
        byte[] head;
        try (InputStream in = Files.newInputStream(file)) {
            head = in.readNBytes(64);
        }
        if (new String(head, StandardCharsets.US_ASCII).contains("-----BEGIN")) {
            trust = KeyStore.getInstance(KeyStore.getDefaultType());
            trust.load(null, null);
            int i = 0;
            try (InputStream in = Files.newInputStream(file)) {
                for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in))
                    trust.setCertificateEntry("setup-ca-" + i++, c);
            }
            if (i == 0) throw new GeneralSecurityException(file + " holds no certificate");
        } else {
            trust = KeyStore.getInstance(file.toFile(), password);
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }
}
