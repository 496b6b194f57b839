package dev.veil.aloepri;

import dev.veil.model.Tensor;
import dev.veil.model.Weights;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;

/**
 * A model's SHA-256 fingerprint over its tensors, independent of file layout (single file or shards, tensor
 * order): SHA-256 of the name-sorted list of per-tensor digests SHA-256(name, dtype, shape, bytes). Tensors can be
 * added in any order, so the compiler fingerprints its output while streaming it.
 */
public final class ModelFingerprint {

    private final Map<String, byte[]> digests = new TreeMap<>();

    /** The fingerprint of a whole model, its tensors hashed in parallel. */
    public static String of(Weights weights) {
        ModelFingerprint f = new ModelFingerprint();
        weights.names().parallelStream().forEach(name -> f.add(weights.get(name)));
        return f.hex();
    }

    public void add(Tensor t) {
        MessageDigest sha = sha256();
        sha.update((t.name() + "\0" + t.dtype() + "\0" + Arrays.toString(t.shape()) + "\0")
                .getBytes(StandardCharsets.UTF_8));
        long chunk = 1L << 26, size = t.data().byteSize();
        for (long off = 0; off < size; off += chunk)
            sha.update(t.data().asSlice(off, Math.min(chunk, size - off)).asByteBuffer());
        byte[] digest = sha.digest();
        synchronized (this) {
            if (digests.put(t.name(), digest) != null)
                throw new IllegalArgumentException("tensor " + t.name() + " fingerprinted twice");
        }
    }

    public synchronized String hex() {
        MessageDigest sha = sha256();
        digests.forEach((name, d) -> sha.update(d));
        return HexFormat.of().formatHex(sha.digest());
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
