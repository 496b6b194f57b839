package dev.veil.talaria.protocol;

import dev.veil.model.ModelConfig;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;

/**
 * A byte string read as the wire frames a V2 message: a 4-byte big-endian JSON header length, then the body. What the
 * fuzz targets decode, and the one-layer model they decode it for.
 */
record Framed(int jsonLength, byte[] body) {

    /** {@code data} as a frame, or null when it is too short to hold the length. */
    static Framed of(byte[] data) {
        if (data.length < 4) return null;
        return new Framed(ByteBuffer.wrap(data).getInt(), Arrays.copyOfRange(data, 4, data.length));
    }

    /** A one-layer Qwen2 of vocabulary {@code vocab}, hidden size 4, tied. */
    static ModelConfig tinyModel(int vocab) {
        return ModelConfig.of(ModelConfig.Architecture.QWEN2, vocab, 4, 8, 1, 2, 1, 2)
                .withNorm(1e-6, 1e6, null)
                .withTokens(64, true, true, -1, List.of());
    }
}
