package dev.veil.http;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/** TLS for an {@link HttpService}: the server's key pair from a keystore, and the rule that secrets need TLS off loopback. */
public final class Tls {

    private Tls() {}

    /** An SSL context serving the (first) key pair of a PKCS#12 or JKS keystore ({@code --tls-keystore}). */
    public static SSLContext serverContext(Path keystore, char[] password)
            throws IOException, GeneralSecurityException {
        KeyStore ks = KeyStore.getInstance(keystore.toFile(), password);
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, password);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        return ctx;
    }

    /** Whether {@code host} names a loopback address; a name that does not resolve is a clear error. */
    public static boolean isLoopback(String host) {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot resolve host '" + host + "': " + e.getMessage());
        }
    }

    /**
     * Refuses plain HTTP beyond loopback for a service that receives secrets: {@code why} says what it receives, for
     * the message.
     */
    public static void requireBeyondLoopback(String host, SSLContext tls, String why) {
        if (tls == null && !isLoopback(host))
            throw new IllegalArgumentException(why + ": it listens on " + host
                    + " only with TLS (--tls-keystore FILE); without, only on loopback (127.0.0.1)");
    }
}
