package dev.veil.gateway;

import dev.veil.http.HttpError;

/** An error for the app, in OpenAI's shape: {@code {"error": {"message", "type", "param", "code"}}}, code a string or null. */
public final class GatewayError extends HttpError {

    public GatewayError(int status, String type, String message, String param, String code) {
        super(status, type, message, param, code);
    }

    public static GatewayError invalid(String message, String param) {
        return new GatewayError(400, "invalid_request_error", message, param, null);
    }

    /** The error the HTTP layer answers on its own (413, malformed JSON or head, 500), in OpenAI's words. */
    static GatewayError of(int status, String message) {
        String type = status == 429 ? "rate_limit_error" : status >= 500 ? "server_error" : "invalid_request_error";
        return new GatewayError(status, type, message, null, null);
    }

    /** The upstream's failure as the app sees it. */
    public static GatewayError upstream(UpstreamException e) {
        String type = switch (e.status()) {
            case 400 -> "invalid_request_error";
            case 429 -> "rate_limit_error";
            default -> "upstream_error";
        };
        return new GatewayError(e.status(), type, e.getMessage(), null, null);
    }
}
