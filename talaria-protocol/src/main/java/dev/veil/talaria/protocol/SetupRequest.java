package dev.veil.talaria.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What the client sends the setup authority ({@code POST /v1/talaria/setup}): the session's secret seed and the plan.
 * This must travel over a channel the cloud never sees (TLS to the model vendor's attested setup service, or a
 * file handed over offline): whoever holds the seed can remove the masks.
 */
public record SetupRequest(byte[] seed, SetupPlan plan) {

    private static final List<String> FIELDS = List.of("seed", "hidden", "embed", "check_vectors", "local");

    public SetupRequest {
        if (seed.length != MaskPrg.SEED_BYTES)
            throw new IllegalArgumentException(
                    "setup seed must be " + MaskPrg.SEED_BYTES + " bytes, got " + seed.length);
        seed = seed.clone();
    }

    public byte[] toJson() {
        ObjectNode n = V2Codec.JSON.createObjectNode();
        n.put("seed", Base64.getEncoder().encodeToString(seed));
        n.put("hidden", plan.hidden().toString());
        n.put("embed", plan.embed().toString());
        n.put("check_vectors", plan.checkVectors());
        if (!plan.local().isEmpty()) {
            var local = n.putArray("local");
            plan.local().stream().sorted().forEach(p -> local.add(p.name().toLowerCase(Locale.ROOT)));
        }
        try {
            return V2Codec.JSON.writeValueAsBytes(n);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Parses a request; {@link IllegalArgumentException} naming the bad field. */
    public static SetupRequest fromJson(byte[] json) {
        JsonNode n;
        try {
            n = V2Codec.JSON.readTree(json);
        } catch (IOException e) {
            throw new IllegalArgumentException("setup request is not valid JSON");
        }
        if (n == null || !n.isObject()) throw new IllegalArgumentException("setup request is not a JSON object");
        byte[] seed;
        try {
            seed = Base64.getDecoder().decode(n.path("seed").asText(""));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("setup request field 'seed' is not base64");
        }
        if (!n.path("check_vectors").canConvertToInt())
            throw new IllegalArgumentException("setup request field 'check_vectors' missing or not an integer");
        Set<Product> local = new HashSet<>();
        for (JsonNode p : n.path("local")) {
            try {
                local.add(Product.valueOf(p.asText("").toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("setup request field 'local': unknown product '" + p.asText() + "'");
            }
        }
        SetupPlan plan = new SetupPlan(
                field(n, "hidden"), field(n, "embed"), n.get("check_vectors").asInt(), local);
        // a field this side does not know (a product or option from another version) would be silently left out of the
        // bundle: refuse it by name instead
        for (var it = n.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!FIELDS.contains(f))
                throw new IllegalArgumentException(
                        "setup request has unknown field '" + f + "' (fields: " + FIELDS + ")");
        }
        return new SetupRequest(seed, plan);
    }

    private static MaskSpec field(JsonNode n, String name) {
        if (!n.path(name).isTextual()) throw new IllegalArgumentException("setup request field '" + name + "' missing");
        try {
            return MaskSpec.parse(n.get(name).asText());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("setup request field '" + name + "': " + e.getMessage());
        }
    }
}
