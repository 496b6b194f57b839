package dev.veil.talaria.client;

import dev.veil.model.ModelConfig;
import dev.veil.talaria.protocol.SetupBundle;
import dev.veil.talaria.protocol.SetupRequest;
import dev.veil.talaria.protocol.V2Codec;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import javax.net.ssl.SSLContext;

/**
 * The setup authority's service ({@code POST /v1/talaria/setup}). The request carries the session seed: in production
 * this URL must be an https:// or attested channel that the cloud cannot read. The client authenticates with the bearer
 * token the authority's operator issued it.
 */
public final class HttpSetupService implements SetupService {

    public static final String PATH = "/v1/talaria/setup";

    private final URI endpoint;
    private final String token;
    private final HttpClient http;

    /** An authority that asks for no token (loopback, {@code --insecure-no-auth}), trusted by the JDK's default CAs. */
    public HttpSetupService(URI base) {
        this(base, null, null);
    }

    /**
     * @param token the bearer token, or null to send none
     * @param tls   the TLS context trusting the authority's certificate ({@link SetupTls#trusting}), or null for the JDK's default CAs
     */
    public HttpSetupService(URI base, String token, SSLContext tls) {
        this.endpoint = URI.create(base.toString().replaceAll("/+$", "") + PATH);
        this.token = token == null || token.isBlank() ? null : token.strip();
        HttpClient.Builder b =
                HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10));
        if (tls != null) b.sslContext(tls);
        this.http = b.build();
    }

    @Override
    public Reply setup(SetupRequest request, ModelConfig config) {
        HttpRequest.Builder b = HttpRequest.newBuilder(endpoint)
                .timeout(Duration.ofMinutes(10))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(request.toJson()));
        if (token != null) b.header("Authorization", "Bearer " + token);
        HttpRequest req = b.build();
        HttpResponse<byte[]> resp;
        try {
            resp = http.send(req, HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new TalariaException("setup authority " + endpoint + " unreachable: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TalariaException("interrupted during setup", e);
        }
        if (resp.statusCode() != 200)
            throw new TalariaException("setup authority " + endpoint + " refused the setup (HTTP " + resp.statusCode()
                    + "): " + new String(resp.body(), StandardCharsets.UTF_8));
        String len = resp.headers()
                .firstValue(V2Codec.HEADER_LENGTH)
                .orElseThrow(() ->
                        new TalariaException("setup authority " + endpoint + " reply lacks " + V2Codec.HEADER_LENGTH));
        try {
            return new Reply(
                    SetupBundle.decode(resp.body(), Integer.parseInt(len.trim()), config, request.plan()),
                    resp.body().length);
        } catch (IllegalArgumentException e) {
            throw new TalariaException(
                    "setup authority " + endpoint + " sent an unusable bundle: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        http.close();
    }
}
