package dev.veil.bench;

import java.net.URI;
import java.net.http.HttpRequest;

/** The request the HTTP benches send: a JSON body POSTed as an app's client sends it. */
final class JsonPost {

    private JsonPost() {}

    static HttpRequest to(URI uri, String body) {
        return HttpRequest.newBuilder(uri)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build();
    }
}
