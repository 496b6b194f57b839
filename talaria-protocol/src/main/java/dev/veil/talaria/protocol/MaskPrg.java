package dev.veil.talaria.protocol;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * A cryptographic stream of Gaussian and uniform numbers: AES-256 in counter mode.
 *
 * <p>{@link #derive} makes the stream a function of (secret seed, label), so the client and the setup authority
 * expand the same 32-byte session seed into the same mask bases M_pub, check vectors and pool masks without
 * ever sending them; it uses {@link StrictMath} so both sides get bit-identical numbers on any machine.
 * {@link #fresh} is keyed from {@link SecureRandom} for the client's one-use coefficients M_pvt.
 */
public final class MaskPrg {

    public static final int SEED_BYTES = 32;
    private static final int CHUNK = 4096;
    private static final SecureRandom ENTROPY = new SecureRandom();

    private final Cipher cipher;
    private final boolean strict;
    private final byte[] zeros = new byte[CHUNK];
    private final ByteBuffer stream = ByteBuffer.allocate(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
    private double spareV, spareG; // the unused half of the last polar pair, if hasSpare
    private boolean hasSpare;

    private MaskPrg(byte[] key, boolean strict) {
        this.strict = strict;
        try {
            cipher = Cipher.getInstance("AES/CTR/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new IvParameterSpec(new byte[16]));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES/CTR unavailable", e);
        }
        stream.limit(0);
    }

    /** The stream named {@code label} under {@code seed}: key = HMAC-SHA256(seed, label). */
    public static MaskPrg derive(byte[] seed, String label) {
        if (seed.length != SEED_BYTES)
            throw new IllegalArgumentException("seed must be " + SEED_BYTES + " bytes, got " + seed.length);
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(seed, "HmacSHA256"));
            return new MaskPrg(mac.doFinal(label.getBytes(StandardCharsets.UTF_8)), true);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    /** A stream nobody else can reproduce. */
    public static MaskPrg fresh() {
        return new MaskPrg(newSeed(), false);
    }

    /** A new secret seed from the system's entropy source. */
    public static byte[] newSeed() {
        byte[] seed = new byte[SEED_BYTES];
        ENTROPY.nextBytes(seed);
        return seed;
    }

    /** A new {@link #SEED_BYTES}-byte seed drawn from this stream. */
    public byte[] nextSeed() {
        byte[] seed = new byte[SEED_BYTES];
        for (int i = 0; i < SEED_BYTES; i += 8) {
            long r = nextLong();
            for (int j = 0; j < 8; j++) seed[i + j] = (byte) (r >>> (8 * j));
        }
        return seed;
    }

    public long nextLong() {
        if (stream.remaining() < 8) {
            stream.clear();
            stream.put(cipher.update(zeros));
            stream.flip();
        }
        return stream.getLong();
    }

    /** Uniform in [0, 1) with 53 random bits. */
    public double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /** Uniform in [0, bound), unbiased. */
    public int nextInt(int bound) {
        if (bound <= 0) throw new IllegalArgumentException("bound must be positive");
        long limit = Long.MAX_VALUE - Long.MAX_VALUE % bound;
        long r;
        do r = nextLong() >>> 1;
        while (r >= limit);
        return (int) (r % bound);
    }

    /**
     * Fills {@code out[off, off+len)} with N(0, std²) samples (Marsaglia's polar method). The values drawn do not depend
     * on how a stream is split into calls — the client draws a pool row at a time, the setup authority many rows at
     * once, and an odd row length (a 151,669-id vocabulary) once made the two disagree from the second row on.
     */
    public void gaussians(float[] out, int off, int len, double std) {
        int i = off, end = off + len;
        if (i < end && hasSpare) {
            out[i++] = (float) (spareV * (std * spareG));
            hasSpare = false;
        }
        while (i < end) {
            double u, v, s;
            do {
                u = 2 * nextDouble() - 1;
                v = 2 * nextDouble() - 1;
                s = u * u + v * v;
            } while (s >= 1 || s == 0);
            double g = Math.sqrt(-2 * (strict ? StrictMath.log(s) : Math.log(s)) / s);
            out[i++] = (float) (u * (std * g));
            if (i < end) {
                out[i++] = (float) (v * (std * g));
            } else { // keep the pair's second value for the next call: the stream must not depend on how it is split
                spareV = v;
                spareG = g;
                hasSpare = true;
            }
        }
    }

    public float[] gaussians(int len, double std) {
        float[] out = new float[len];
        gaussians(out, 0, len, std);
        return out;
    }
}
