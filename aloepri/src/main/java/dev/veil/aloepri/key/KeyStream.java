package dev.veil.aloepri.key;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.random.RandomGenerator;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * A deterministic cryptographically secure random stream: the AES-256-CTR keystream under a 256-bit key.
 *
 * <p>Every secret of an obfuscation (key matrices, permutations, rotations, noise) is drawn from its own
 * stream, {@link #derive derived} from one master key by a label ({@code "layer.3.attn"}). So the same
 * seed gives the same model whatever order the compiler visits the tensors in, and no stream reveals
 * another. Gaussians come from {@link RandomGenerator#nextGaussian()}'s default (ziggurat over
 * {@link #nextLong()}), which is deterministic for a deterministic {@code nextLong}.
 */
public final class KeyStream implements RandomGenerator {

    private static final int BUFFER = 4096;
    /** Eight keystream bytes as one big-endian long. */
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    private final byte[] key;
    private final Cipher aes;
    private final byte[] zeros = new byte[BUFFER];
    private final byte[] buffer = new byte[BUFFER];
    private int position = BUFFER;

    private KeyStream(byte[] key) {
        this.key = key.clone();
        try {
            aes = Cipher.getInstance("AES/CTR/NoPadding");
            aes.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new IvParameterSpec(new byte[16]));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-CTR is not available in this JDK", e);
        }
    }

    /** The master stream of a user-given seed (any text): the same seed always gives the same obfuscation. */
    public static KeyStream fromSeed(String seed) {
        try {
            byte[] k = MessageDigest.getInstance("SHA-256")
                    .digest(("veil-aloepri-seed:" + seed).getBytes(StandardCharsets.UTF_8));
            return new KeyStream(k);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A master stream with a fresh 256-bit key from the system's entropy source. */
    public static KeyStream fresh() {
        byte[] k = new byte[32];
        new SecureRandom().nextBytes(k);
        return new KeyStream(k);
    }

    /** An independent stream for {@code label}: HMAC-SHA256(this key, label) as its key. */
    public KeyStream derive(String label) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return new KeyStream(mac.doFinal(label.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public long nextLong() {
        if (position + 8 > BUFFER) refill();
        long v = (long) LONG.get(buffer, position);
        position += 8;
        return v;
    }

    private void refill() {
        try {
            aes.update(zeros, 0, BUFFER, buffer, 0);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
        position = 0;
    }

    /** A uniformly random permutation of {0..n-1} (Fisher-Yates): {@code p[i]} is the image of i. */
    public int[] permutation(int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        shuffle(p, 0, n);
        return p;
    }

    /** Shuffles {@code a[from..to)} uniformly in place. */
    public void shuffle(int[] a, int from, int to) {
        for (int i = to - 1; i > from; i--) {
            int j = from + nextInt(i - from + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }
}
