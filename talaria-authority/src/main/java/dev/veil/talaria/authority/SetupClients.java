package dev.veil.talaria.authority;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The clients the setup authority serves, each with a bearer token the operator issued (after attesting the client's
 * image, say) and optionally its own row budget. Only SHA-256 hashes of the tokens are kept: a leaked clients file lets
 * no one set up a session.
 *
 * <p>File format, one client a line ({@code #} starts a comment): {@code CLIENT-ID SHA256-HEX [ROW-BUDGET]}, the budget
 * a number, {@code default} or {@code unlimited} (see {@link RowBudget}); without one the server's {@code --row-budget}
 * applies.
 */
public final class SetupClients {

    /** One client: its id, its token's hash and its own budget (null: the server's). */
    public record Client(String id, byte[] tokenHash, RowBudget budget) {}

    private static final HexFormat HEX = HexFormat.of();

    private final List<Client> clients;

    public SetupClients(List<Client> clients) {
        Set<String> ids = new HashSet<>();
        for (Client c : clients)
            if (!ids.add(c.id())) throw new IllegalArgumentException("client '" + c.id() + "' is listed twice");
        this.clients = List.copyOf(clients);
    }

    /** One client with this token (the demo's and the benchmark's own client). */
    public static SetupClients of(String id, String token, RowBudget budget) {
        return new SetupClients(List.of(new Client(id, hash(token), budget)));
    }

    public static SetupClients read(Path file) throws IOException {
        List<Client> out = new ArrayList<>();
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).replaceFirst("#.*", "").strip();
            if (line.isEmpty()) continue;
            String[] f = line.split("\\s+");
            String where = file + " line " + (i + 1) + ": ";
            if (f.length < 2 || f.length > 3)
                throw new IllegalArgumentException(
                        where + "expected CLIENT-ID SHA256-HEX [ROW-BUDGET], got " + f.length + " fields");
            if (!f[1].matches("[0-9a-fA-F]{64}"))
                throw new IllegalArgumentException(
                        where + "the token hash must be 64 hex digits (SHA-256; never the token itself)");
            try {
                out.add(new Client(
                        f[0], HEX.parseHex(f[1].toLowerCase()), f.length == 3 ? RowBudget.parse(f[2]) : null));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + e.getMessage());
            }
        }
        if (out.isEmpty()) throw new IllegalArgumentException(file + " lists no client");
        return new SetupClients(out);
    }

    /**
     * The client whose token this is, or empty. Every client's hash is compared, each in constant time
     * ({@link MessageDigest#isEqual}), so the time taken says nothing about which hash came close.
     */
    public Optional<Client> authenticate(String token) {
        byte[] h = hash(token);
        Client found = null;
        for (Client c : clients) if (MessageDigest.isEqual(h, c.tokenHash()) && found == null) found = c;
        return Optional.ofNullable(found);
    }

    /** The budget the clients file gives this client, if any. */
    public Optional<RowBudget> budgetOf(String id) {
        return clients.stream().filter(c -> c.id().equals(id)).findFirst().map(Client::budget);
    }

    public int size() {
        return clients.size();
    }

    /** SHA-256 of a token's UTF-8 bytes. */
    public static byte[] hash(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /**
     * A new random token: "vst_" and 32 bytes from {@link SecureRandom}, base64url without padding. The prefix keeps a
     * token from starting with '-' (1 in 64 did), which a command line would read as an option
     * ({@code --setup-token -V...}).
     */
    public static String newToken() {
        byte[] b = new byte[32];
        new SecureRandom().nextBytes(b);
        return "vst_" + Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    /** The clients-file line for a client with this token. */
    public static String line(String id, String token, RowBudget budget) {
        if (!id.matches("[A-Za-z0-9._@-]+"))
            throw new IllegalArgumentException("client id must be letters, digits and . _ @ -, not '" + id + "'");
        return id + " " + HEX.formatHex(hash(token)) + (budget == null ? "" : " " + budget);
    }
}
