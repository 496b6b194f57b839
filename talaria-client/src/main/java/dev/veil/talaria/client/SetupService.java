package dev.veil.talaria.client;

import dev.veil.model.ModelConfig;
import dev.veil.talaria.protocol.SetupBundle;
import dev.veil.talaria.protocol.SetupRequest;

/** Where a session's unmasking material comes from: the setup authority, never the cloud. */
public interface SetupService extends AutoCloseable {

    /** The bundle for {@code request} (checked against {@code config} and the request's plan) and its size in bytes. */
    Reply setup(SetupRequest request, ModelConfig config);

    record Reply(SetupBundle bundle, long bytes) {}

    @Override
    default void close() {}

    /** For plans that need nothing (no masks, no check): refuses any request that does. */
    SetupService NONE = (request, config) -> {
        throw new TalariaException("this mask setting needs a setup authority (--setup URL): none is configured");
    };
}
