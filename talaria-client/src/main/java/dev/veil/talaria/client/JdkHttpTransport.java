package dev.veil.talaria.client;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/** The transport on java.net.http.HttpClient (HTTP/1.1, keep-alive). */
final class JdkHttpTransport implements Transport {

    private final URI base;
    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .build();

    JdkHttpTransport(URI base) {
        this.base = base;
    }

    @Override
    public Reply exchange(String path, Map<String, String> headers, byte[] body, int maxReplyBytes)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofMinutes(2));
        headers.forEach(b::header);
        b = body == null ? b.GET() : b.POST(HttpRequest.BodyPublishers.ofByteArray(body));
        HttpResponse<InputStream> resp = http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
        Map<String, String> h = new HashMap<>();
        resp.headers().map().forEach((k, v) -> h.put(k.toLowerCase(Locale.ROOT), v.getFirst()));
        try (InputStream in = resp.body()) {
            long declared = resp.headers().firstValueAsLong("content-length").orElse(-1);
            if (declared > maxReplyBytes) throw Transport.tooLarge(path, declared, maxReplyBytes);
            byte[] bytes = in.readNBytes(maxReplyBytes + 1); // bounded whatever the framing
            if (bytes.length > maxReplyBytes) throw Transport.tooLarge(path, bytes.length, maxReplyBytes);
            return new Reply(resp.statusCode(), h, bytes);
        }
    }

    @Override
    public void close() {
        http.close();
    }
}
