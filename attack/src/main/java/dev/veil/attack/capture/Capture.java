package dev.veil.attack.capture;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The untrusted side's view of a run of a deployment, recorded where it arrived (never reconstructed from the client):
 *
 * <ul>
 *   <li>Talaria: every masked row the cloud received, product by product and call by call ({@link Request#calls()}),
 *       plus the public weights ({@link #model()}); optionally the session seeds the setup authority received
 *       ({@link #setups()}), which only a cloud colluding with the authority would hold.</li>
 *   <li>AloePri: the obfuscated checkpoint the server runs ({@link #model()}), the obfuscated token ids in and out, and
 *       optionally what an instrumented server computed internally.</li>
 * </ul>
 *
 * The attacker's public knowledge is part of the capture too: the plain model it may know ({@link #publicModel()}:
 * for Talaria the same as {@code model}; for AloePri the public checkpoint the deployment was obfuscated from) and the
 * deployment's public settings ({@link #setting()}: mask kind and scale, obfuscation parameters — not its secrets).
 * The plaintext is not: it lives in {@link Truth}, used only to score.
 */
public record Capture(
        Mode mode,
        Path model,
        Path publicModel,
        Map<String, String> setting,
        List<Request> requests,
        List<SetupSeen> setups) {

    public Capture {
        setting = Map.copyOf(setting);
        requests = List.copyOf(requests);
        setups = List.copyOf(setups);
    }

    /** A public setting, or an {@link IllegalArgumentException} naming the missing key. */
    public String setting(String key) {
        String v = setting.get(key);
        if (v == null)
            throw new IllegalArgumentException("the capture's setting has no '" + key + "' (it has "
                    + setting.keySet().stream().sorted().toList() + ")");
        return v;
    }

    /** Total rows recorded under {@code key} over all requests. */
    public int rowCount(String key) {
        return requests.stream()
                .filter(r -> r.has(key))
                .mapToInt(r -> r.rows(key).rows())
                .sum();
    }
}
