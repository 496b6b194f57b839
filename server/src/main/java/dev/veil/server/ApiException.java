package dev.veil.server;

/**
 * A request the server answers with an error: the HTTP status and an OpenAI/vLLM-shaped body
 * {@code {"error": {"message", "type", "param", "code"}}}.
 */
public final class ApiException extends Exception {

    private final int status;
    private final String type;
    private final String param;

    public ApiException(int status, String type, String message, String param) {
        super(message, null, false, false);
        this.status = status;
        this.type = type;
        this.param = param;
    }

    public static ApiException badRequest(String message, String param) {
        return new ApiException(400, "BadRequestError", message, param);
    }

    public int status() {
        return status;
    }

    public String type() {
        return type;
    }

    public String param() {
        return param;
    }
}
