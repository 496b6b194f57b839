package dev.veil.gateway;

import dev.veil.http.HttpLimits;
import dev.veil.http.HttpService;
import dev.veil.http.RequestIntake;
import dev.veil.model.Records;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;
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
 * @param intake           the largest request body (0: from the context length, {@link #bodyLimit(int)}) and how many
 *                         requests are read, parsed and tokenized at once ({@link RequestIntake})
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
        RequestIntake intake,
        HttpLimits http) {

    public static final int DEFAULT_PORT = 8080;

    public GatewayOptions {
        HttpService.checkPort(port);
        if (modelName == null || modelName.isBlank()) throw new IllegalArgumentException("the model name is empty");
        if (defaultMaxTokens < 1) throw new IllegalArgumentException("default max tokens must be >= 1");
        allowedHosts =
                allowedHosts.stream().map(h -> h.toLowerCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet());
        if (apiKey != null && apiKey.isBlank()) throw new IllegalArgumentException("the API key is empty");
        if (intake == null) throw new IllegalArgumentException("the request intake is null");
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
                RequestIntake.defaults(),
                HttpLimits.defaults());
    }

    public GatewayOptions withAddress(String host, int port) {
        return Records.with(this, "host", host, "port", port);
    }

    public GatewayOptions withShowUntrusted(boolean show) {
        return Records.with(this, "showUntrusted", show);
    }

    public GatewayOptions withAllowedHosts(Set<String> hosts) {
        return Records.with(this, "allowedHosts", hosts);
    }

    public GatewayOptions withApiKey(String key) {
        return Records.with(this, "apiKey", key);
    }

    public GatewayOptions withLimits(int maxBodyBytes, int maxParsing, Duration slotWait) {
        return Records.with(this, "intake", new RequestIntake(maxBodyBytes, maxParsing, slotWait));
    }

    public GatewayOptions withHttp(HttpLimits http) {
        return Records.with(this, "http", http);
    }

    /**
     * The body limit: {@code maxBodyBytes}, or 64 KiB plus 64 bytes per token of context (a token is a few characters,
     * up to six JSON bytes each), between 1 and 8 MiB; 8 MiB when the context is unknown.
     */
    int bodyLimit(int contextLength) {
        if (intake.maxBodyBytes() > 0) return intake.maxBodyBytes();
        if (contextLength <= 0) return 8 << 20;
        return (int) Math.clamp((64L << 10) + 64L * contextLength, 1 << 20, 8 << 20);
    }
}
