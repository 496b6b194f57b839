package dev.veil.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A request answered with an error, in the OpenAI/vLLM shape {@code {"error": {"message", "type", "param", "code"}}}
 * unless a subclass overrides {@link #body()} (the Talaria services' KServe shape): the one error type of every service
 * on {@link HttpService}. vLLM puts the status in {@code code}, OpenAI a string or null; the subclass says which.
 */
public class HttpError extends Exception {

    private final int status;
    private final String type;
    private final String param;
    private final Object code;
    private final Map<String, String> headers = new LinkedHashMap<>();

    /** {@code code}: an Integer, a String or null. */
    public HttpError(int status, String type, String message, String param, Object code) {
        super(message, null, false, false);
        if (code != null && !(code instanceof Integer) && !(code instanceof String))
            throw new IllegalArgumentException("code must be an Integer, a String or null");
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
        if (status == 429 || status == 503) headers.put("Retry-After", "1");
    }

    public int status() {
        return status;
    }

    /** Response headers that go with the error (Retry-After for 429 and 503, WWW-Authenticate, Allow, ...). */
    public Map<String, String> headers() {
        return headers;
    }

    public HttpError withHeader(String name, String value) {
        headers.put(name, value);
        return this;
    }

    public ObjectNode body() {
        ObjectNode root = Json.MAPPER.createObjectNode();
        ObjectNode error = root.putObject("error");
        error.put("message", getMessage());
        error.put("type", type);
        if (param == null) error.putNull("param");
        else error.put("param", param);
        switch (code) {
            case Integer i -> error.put("code", i);
            case String s -> error.put("code", s);
            case null, default -> error.putNull("code");
        }
        return root;
    }

    /** The errors {@link HttpService} and {@link Json} answer on their own (413, malformed JSON, 500), in a service's words. */
    @FunctionalInterface
    public interface Shape {
        HttpError of(int status, String message);
    }
}
