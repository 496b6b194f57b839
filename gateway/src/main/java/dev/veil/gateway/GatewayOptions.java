package dev.veil.gateway;

import dev.veil.http.HttpLimits;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * How the gateway listens, what it calls the model, and who may use it.
 *
 * @param modelName        the id apps pass as {@code model}
 * @param defaultMaxTokens generation limit when the app sets none and the backend does not know the context length
 * @param showUntrusted    whether a request may ask ({@code veil_untrusted: true}) to see what the untrusted side saw.
 *                         Off by default: for AloePri the obfuscated ids next to the caller's own text give away the
 *                         vocabulary permutation τ, so only an operator demonstrating Veil turns it on
 * @param allowedHosts     Host header names accepted besides IP literals and {@code localhost} (DNS rebinding: a web
 *                         page's own name resolving to 127.0.0.1 must not reach the gateway)
 * @param apiKey           when not null, {@code /v1/*} requires {@code Authorization: Bearer apiKey}
 * @param maxBodyBytes     largest request body; 0 means "from the context length" ({@link #bodyLimit(int)})
 * @param maxParsing       requests read, parsed and tokenized at once; others wait for a slot up to {@code slotWait},
 *                         then get 503 with Retry-After (bounds the memory of concurrent large bodies)
 * @param slotWait         how long a request waits for a parsing slot
 * @param http             request and idle timeouts, the connection cap, the head size ({@link HttpLimits})
 */
public record GatewayOptions(
        String host,
        int port,
        String modelName,
        int defaultMaxTokens,
        boolean showUntrusted,
        Set<String> allowedHosts,
        String apiKey,
        int maxBodyBytes,
        int maxParsing,
        Duration slotWait,
        HttpLimits http) {

    public static final int DEFAULT_PORT = 8080;

    public GatewayOptions {
        if (port < 0 || port > 65535) throw new IllegalArgumentException("port must be 0..65535, got " + port);
        if (modelName == null || modelName.isBlank()) throw new IllegalArgumentException("the model name is empty");
        if (defaultMaxTokens < 1) throw new IllegalArgumentException("default max tokens must be >= 1");
        allowedHosts =
                allowedHosts.stream().map(h -> h.toLowerCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet());
        if (apiKey != null && apiKey.isBlank()) throw new IllegalArgumentException("the API key is empty");
        if (maxBodyBytes < 0)
            throw new IllegalArgumentException("max body bytes must be >= 0 (0: from the context length)");
        if (maxParsing < 1) throw new IllegalArgumentException("max parsing must be >= 1, got " + maxParsing);
        if (slotWait.isNegative()) throw new IllegalArgumentException("the slot wait is negative");
        if (http == null) throw new IllegalArgumentException("the HTTP limits are null");
    }

    /**
     * Loopback, port 8080, untrusted view off, no API key, body limit from the context, 8 requests parsed at once,
     * {@link HttpLimits#defaults()}.
     */
    public static GatewayOptions defaults(String modelName) {
        return new GatewayOptions(
                "127.0.0.1",
                DEFAULT_PORT,
                modelName,
                1024,
                false,
                Set.of(),
                null,
                0,
                8,
                Duration.ofSeconds(10),
                HttpLimits.defaults());
    }

    public GatewayOptions withAddress(String host, int port) {
        return with(d -> {
            d.host = host;
            d.port = port;
        });
    }

    public GatewayOptions withShowUntrusted(boolean show) {
        return with(d -> d.showUntrusted = show);
    }

    public GatewayOptions withAllowedHosts(Set<String> hosts) {
        return with(d -> d.allowedHosts = hosts);
    }

    public GatewayOptions withApiKey(String key) {
        return with(d -> d.apiKey = key);
    }

    public GatewayOptions withLimits(int maxBodyBytes, int maxParsing, Duration slotWait) {
        return with(d -> {
            d.maxBodyBytes = maxBodyBytes;
            d.maxParsing = maxParsing;
            d.slotWait = slotWait;
        });
    }

    public GatewayOptions withHttp(HttpLimits http) {
        return with(d -> d.http = http);
    }

    /** The one copy behind the with-ers: these options as a draft, changed, then checked again by the constructor. */
    private GatewayOptions with(Consumer<Draft> change) {
        Draft d = new Draft(this);
        change.accept(d);
        return new GatewayOptions(
                d.host,
                d.port,
                modelName,
                defaultMaxTokens,
                d.showUntrusted,
                d.allowedHosts,
                d.apiKey,
                d.maxBodyBytes,
                d.maxParsing,
                d.slotWait,
                d.http);
    }

    private static final class Draft {
        String host, apiKey;
        int port, maxBodyBytes, maxParsing;
        boolean showUntrusted;
        Set<String> allowedHosts;
        Duration slotWait;
        HttpLimits http;

        Draft(GatewayOptions o) {
            host = o.host;
            port = o.port;
            showUntrusted = o.showUntrusted;
            allowedHosts = o.allowedHosts;
            apiKey = o.apiKey;
            maxBodyBytes = o.maxBodyBytes;
            maxParsing = o.maxParsing;
            slotWait = o.slotWait;
            http = o.http;
        }
    }

    /**
     * The body limit: {@code maxBodyBytes}, or 64 KiB plus 64 bytes per token of context (a token is a few characters,
     * up to six JSON bytes each), between 1 and 8 MiB; 8 MiB when the context is unknown.
     */
    int bodyLimit(int contextLength) {
        if (maxBodyBytes > 0) return maxBodyBytes;
        if (contextLength <= 0) return 8 << 20;
        return (int) Math.clamp((64L << 10) + 64L * contextLength, 1 << 20, 8 << 20);
    }
}
