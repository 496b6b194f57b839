package dev.veil.gateway;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** An error for the app, in OpenAI's shape: {@code {"error": {"message", "type", "param", "code"}}}. */
public final class GatewayError extends Exception {

    private final int status;
    private final String type;
    private final String param;
    private final String code;

    public GatewayError(int status, String type, String message, String param, String code) {
        super(message, null, false, false);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
    }

    public static GatewayError invalid(String message, String param) {
        return new GatewayError(400, "invalid_request_error", message, param, null);
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

    public int status() {
        return status;
    }

    public ObjectNode body() {
        ObjectNode root = VllmClient.JSON.createObjectNode();
        ObjectNode error = root.putObject("error");
        error.put("message", getMessage());
        error.put("type", type);
        if (param == null) error.putNull("param");
        else error.put("param", param);
        if (code == null) error.putNull("code");
        else error.put("code", code);
        return root;
    }
}
