package dev.veil.server;

import dev.veil.http.HttpError;

/**
 * A request the server answers with an error: the HTTP status and vLLM's body
 * {@code {"error": {"message", "type", "param", "code"}}}, where {@code code} is the status.
 */
public final class ApiException extends HttpError {

    public ApiException(int status, String type, String message, String param) {
        super(status, type, message, param, status);
    }

    public static ApiException badRequest(String message, String param) {
        return new ApiException(400, "BadRequestError", message, param);
    }

    /** The error the HTTP layer answers on its own (413, malformed JSON or head, 500), in vLLM's words. */
    static ApiException of(int status, String message) {
        String type = switch (status) {
            case 404 -> "NotFoundError";
            case 405 -> "MethodNotAllowed";
            case 429 -> "RateLimitError";
            case 503 -> "ServiceUnavailableError";
            default -> status >= 500 ? "InternalServerError" : "BadRequestError";
        };
        return new ApiException(status, type, message, null);
    }
}
