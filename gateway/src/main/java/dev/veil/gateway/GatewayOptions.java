package dev.veil.gateway;

/**
 * How the gateway listens and what it calls the model.
 *
 * @param modelName        the id apps pass as {@code model}
 * @param defaultMaxTokens generation limit when the app sets none and the backend does not know the context length
 */
public record GatewayOptions(String host, int port, String modelName, int defaultMaxTokens) {

    public static final int DEFAULT_PORT = 8080;

    public GatewayOptions {
        if (port < 0 || port > 65535) throw new IllegalArgumentException("port must be 0..65535, got " + port);
        if (modelName == null || modelName.isBlank()) throw new IllegalArgumentException("the model name is empty");
        if (defaultMaxTokens < 1) throw new IllegalArgumentException("default max tokens must be >= 1");
    }

    public static GatewayOptions defaults(String modelName) {
        return new GatewayOptions("127.0.0.1", DEFAULT_PORT, modelName, 1024);
    }

    public GatewayOptions withAddress(String host, int port) {
        return new GatewayOptions(host, port, modelName, defaultMaxTokens);
    }
}
