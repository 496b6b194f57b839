package dev.veil.aloepri;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The AloePri secret key file: JSON, versioned, written owner-only (0600) and atomically, never over an existing
 * file. Optionally encrypted with a passphrase: AES-256-GCM under a key from PBKDF2-HMAC-SHA256 (600,000
 * iterations, 16-byte salt), the file's header bound in as associated data so it cannot be altered either.
 *
 * <p>Reading refuses, as ssh refuses a private key, a file that its group or others may read or write: the key
 * undoes the obfuscation, so a copy others could read must be treated as leaked (and an encrypted one is open to
 * offline guessing). The iteration count is read from the file before its tag can be checked, so it is bounded.
 *
 * <pre>{"format": "veil-aloepri-key", "version": 1, "key": {...}}
 * {"format": "veil-aloepri-key", "version": 1, "encryption": {"kdf": ..., "salt": ..., "iv": ...}, "ciphertext": "..."}</pre>
 */
public final class KeyFile {

    public static final String FORMAT = "veil-aloepri-key";
    public static final int VERSION = 1;
    static final int PBKDF2_ITERATIONS = 600_000;
    /** Ten times what Veil writes: a file asking for more is refused before PBKDF2 runs (seconds per 10^6). */
    static final int MAX_PBKDF2_ITERATIONS = 10 * PBKDF2_ITERATIONS;

    private static final ObjectMapper JSON = new ObjectMapper();

    private KeyFile() {}

    /** Writes {@code key} to {@code file}, encrypted when {@code passphrase} is non-null; refuses to overwrite. */
    public static void write(Path file, AloePriKey key, char[] passphrase) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", FORMAT);
        root.put("version", VERSION);
        ObjectNode payload = toJson(key);
        if (passphrase == null) {
            root.set("key", payload);
        } else {
            byte[] salt = random(16), iv = random(12);
            ObjectNode enc = root.putObject("encryption");
            enc.put("cipher", "AES-256-GCM");
            enc.put("kdf", "PBKDF2-HMAC-SHA256");
            enc.put("iterations", PBKDF2_ITERATIONS);
            enc.put("salt", Base64.getEncoder().encodeToString(salt));
            enc.put("iv", Base64.getEncoder().encodeToString(iv));
            byte[] aad = root.toString().getBytes(StandardCharsets.UTF_8);
            byte[] ct;
            try {
                ct = crypt(
                        Cipher.ENCRYPT_MODE,
                        passphrase,
                        salt,
                        PBKDF2_ITERATIONS,
                        iv,
                        aad,
                        JSON.writeValueAsBytes(payload));
            } catch (AEADBadTagException e) {
                throw new IllegalStateException(e); // encryption never checks a tag
            }
            root.put("ciphertext", Base64.getEncoder().encodeToString(ct));
        }
        writeOwnerOnly(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
    }

    /** Reads a key file; {@code passphrase} may be null for an unencrypted one. Errors name the file and the problem. */
    public static AloePriKey read(Path file, char[] passphrase) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (NoSuchFileException | FileNotFoundException e) {
            throw new IOException(file + ": no such key file");
        } catch (IOException e) {
            throw new IOException(file + ": not an AloePri key file (not JSON)");
        }
        if (root == null || !FORMAT.equals(root.path("format").asText()))
            throw new IOException(file + ": not an AloePri key file (format is not '" + FORMAT + "')");
        int version = root.path("version").asInt(-1);
        if (version != VERSION)
            throw new IOException(file + ": key file version " + version + " is not supported (this Veil reads version "
                    + VERSION + ")");
        checkOwnerOnly(file); // after the format check: a file that is no key gets the plainer error
        JsonNode payload;
        if (root.has("encryption")) {
            if (passphrase == null) throw new IOException(file + ": the key file is encrypted; give its passphrase");
            payload = decrypt(file, root, passphrase);
        } else {
            payload = root.path("key");
        }
        try {
            return fromJson(payload);
        } catch (RuntimeException e) {
            throw new IOException(file + ": damaged key: " + e.getMessage());
        }
    }

    /** True when the file has an "encryption" block (without decrypting anything). */
    public static boolean isEncrypted(Path file) throws IOException {
        return JSON.readTree(file.toFile()).has("encryption");
    }

    private static JsonNode decrypt(Path file, JsonNode root, char[] passphrase) throws IOException {
        JsonNode enc = root.get("encryption");
        if (!"AES-256-GCM".equals(enc.path("cipher").asText())
                || !"PBKDF2-HMAC-SHA256".equals(enc.path("kdf").asText()))
            throw new IOException(file + ": unsupported encryption " + enc);
        JsonNode iterations = enc.path("iterations");
        if (!iterations.isIntegralNumber()
                || !iterations.canConvertToInt()
                || iterations.asInt() < 1
                || iterations.asInt() > MAX_PBKDF2_ITERATIONS)
            throw new IOException(
                    file + ": PBKDF2 iteration count " + iterations + " is outside 1.." + MAX_PBKDF2_ITERATIONS);
        ObjectNode header = ((ObjectNode) root.deepCopy());
        header.remove("ciphertext");
        byte[] aad = header.toString().getBytes(StandardCharsets.UTF_8);
        byte[] plain;
        try {
            byte[] salt = Base64.getDecoder().decode(enc.path("salt").asText()),
                    iv = Base64.getDecoder().decode(enc.path("iv").asText());
            if (salt.length == 0 || iv.length != 12)
                throw new IOException(file + ": damaged key file (salt of " + salt.length + " bytes, IV of " + iv.length
                        + " bytes; expected 16 and 12)");
            plain = crypt(
                    Cipher.DECRYPT_MODE,
                    passphrase,
                    salt,
                    iterations.asInt(),
                    iv,
                    aad,
                    Base64.getDecoder().decode(root.path("ciphertext").asText()));
        } catch (AEADBadTagException e) {
            throw new IOException(file + ": wrong passphrase, or the key file was altered");
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": damaged key file (" + e.getMessage() + ")");
        }
        try {
            return JSON.readTree(plain);
        } catch (IOException e) {
            throw new IOException(file + ": damaged key (the decrypted payload is not JSON)");
        }
    }

    private static byte[] crypt(
            int mode, char[] passphrase, byte[] salt, int iterations, byte[] iv, byte[] aad, byte[] data)
            throws AEADBadTagException {
        try {
            var spec = new PBEKeySpec(passphrase, salt, iterations, 256);
            byte[] k = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256")
                    .generateSecret(spec)
                    .getEncoded();
            spec.clearPassword();
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(mode, new SecretKeySpec(k, "AES"), new GCMParameterSpec(128, iv));
            c.updateAAD(aad);
            return c.doFinal(data);
        } catch (AEADBadTagException e) {
            throw e;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM/PBKDF2 unavailable: " + e.getMessage(), e);
        }
    }

    /** Puts {@code params} (the key file's names, which {@code veil key inspect --json} shows too) on {@code n}. */
    private static void putParams(ObjectNode n, AloePriParams params) {
        n.putObject("params")
                .put("lambda", params.lambda())
                .put("h", params.expansion())
                .put("alpha_e", params.alphaE())
                .put("alpha_h", params.alphaH())
                .put("beta", params.beta())
                .put("gamma", params.gamma())
                .put("alpha_down", params.alphaDown())
                .put("alpha_gate_up", params.alphaGateUp())
                .put("split", params.split())
                .put("router_norm", params.routerNorm())
                .put("ffn_depth_scaled", params.depthScaled())
                .put("ffn_noise", params.ffnNoise().label())
                .put("alpha_router", params.alphaRouter());
    }

    /** The key as a key file's {@code key} object holds it (what {@code veil key inspect --json} shows). */
    public static ObjectNode toJson(AloePriKey k) {
        ObjectNode n = JSON.createObjectNode();
        putParams(n, k.params());
        n.put("architecture", k.architecture());
        n.put("hidden_size", k.hiddenSize());
        n.put("obfuscated_hidden_size", k.obfuscatedHiddenSize());
        n.put("vocab_size", k.vocabSize());
        n.put("plain_fingerprint", k.plainFingerprint());
        n.put("obfuscated_fingerprint", k.obfuscatedFingerprint());
        n.put("created", k.created());
        ArrayNode kappa = n.putArray("kappa");
        for (double x : k.kappa()) kappa.add(x);
        k.fixedTokens().forEach(n.putArray("fixed_tokens")::add);
        ArrayNode perm = n.putArray("permutation");
        for (int t : k.permutation().forward()) perm.add(t);
        return n;
    }

    static AloePriKey fromJson(JsonNode n) {
        JsonNode p = need(n, "params");
        AloePriParams params = new AloePriParams(
                need(p, "lambda").asDouble(),
                need(p, "h").asInt(),
                need(p, "alpha_e").asDouble(),
                need(p, "alpha_h").asDouble(),
                need(p, "beta").asInt(),
                need(p, "gamma").asDouble(),
                p.path("alpha_down").asDouble(0),
                p.path("alpha_gate_up").asDouble(0),
                p.path("split").asInt(1), // absent in keys before the FFN defenses
                p.path("router_norm").asBoolean(true), // absent in keys before mixture-of-experts models
                p.path("ffn_depth_scaled").asBoolean(false), // absent in keys before depth-scaled FFN noise
                FfnNoiseProfile.parse(p.path("ffn_noise").asText("gaussian")), // absent before the noise profiles
                p.path("alpha_router").asDouble(0)); // absent before router noise
        JsonNode permNode = need(n, "permutation");
        int[] perm = new int[permNode.size()];
        for (int i = 0; i < perm.length; i++) perm[i] = permNode.get(i).asInt();
        if (perm.length != need(n, "vocab_size").asInt())
            throw new IllegalArgumentException(
                    "permutation has " + perm.length + " entries for vocab_size " + n.get("vocab_size"));
        List<Integer> fixed = new ArrayList<>();
        n.path("fixed_tokens").forEach(x -> fixed.add(x.asInt()));
        JsonNode kn = n.path("kappa");
        double[] kappa = new double[kn.size()];
        for (int i = 0; i < kappa.length; i++) kappa[i] = kn.get(i).asDouble();
        return new AloePriKey(
                params,
                need(n, "architecture").asText(),
                need(n, "hidden_size").asInt(),
                need(n, "obfuscated_hidden_size").asInt(),
                new VocabPermutation(perm),
                fixed,
                need(n, "plain_fingerprint").asText(),
                need(n, "obfuscated_fingerprint").asText(),
                kappa,
                n.path("created").asText(""));
    }

    private static JsonNode need(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) throw new IllegalArgumentException("missing '" + field + "'");
        return v;
    }

    /**
     * Creates {@code file} readable and writable by its owner only (where the file system has POSIX permissions),
     * never over an existing file: the name is claimed with CREATE_NEW (atomic, so of two writers one fails), then
     * the complete content replaces the empty claim in one atomic rename, so a reader never sees half a key.
     */
    static void writeOwnerOnly(Path file, byte[] content) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        boolean posix = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
        var ownerOnly = PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));
        try {
            if (posix)
                Files.newByteChannel(file, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), ownerOnly)
                        .close();
            else
                Files.newByteChannel(file, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE))
                        .close();
        } catch (FileAlreadyExistsException e) {
            throw new FileAlreadyExistsException(file + ": a key file already exists there; refusing to overwrite it");
        }
        Path temp = null;
        boolean done = false;
        try {
            temp = posix
                    ? Files.createTempFile(dir, ".key", ".partial", ownerOnly)
                    : Files.createTempFile(dir, ".key", ".partial");
            Files.write(temp, content);
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            done = true;
        } finally {
            if (temp != null) Files.deleteIfExists(temp);
            if (!done) Files.deleteIfExists(file); // our empty claim, not someone's key
        }
    }

    /** Refuses a key file that its group or others may read or write (where the file system has POSIX permissions). */
    static void checkOwnerOnly(Path file) throws IOException {
        if (!FileSystems.getDefault().supportedFileAttributeViews().contains("posix") || !Files.exists(file)) return;
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
        Set<PosixFilePermission> open = EnumSet.of(
                PosixFilePermission.GROUP_READ,
                PosixFilePermission.GROUP_WRITE,
                PosixFilePermission.OTHERS_READ,
                PosixFilePermission.OTHERS_WRITE);
        open.retainAll(perms);
        if (!open.isEmpty())
            throw new IOException(file + ": permissions " + PosixFilePermissions.toString(perms)
                    + " let others read or change the key;" + " it must be owner-only (chmod 600 " + file
                    + "), and a key others could read should be treated as leaked");
    }

    private static byte[] random(int n) {
        byte[] b = new byte[n];
        new SecureRandom().nextBytes(b);
        return b;
    }
}
