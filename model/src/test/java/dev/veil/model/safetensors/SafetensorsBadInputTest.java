package dev.veil.model.safetensors;

import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import dev.veil.model.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every corrupt or truncated safetensors input fails with one IOException "PATH: problem". */
class SafetensorsBadInputTest {
    @TempDir
    Path tmp;

    private Path file(String header, int dataBytes) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        Path p = tmp.resolve("bad.safetensors");
        Files.write(p, b.array());
        return p;
    }

    private static void fails(Path p, String message) {
        assertThatThrownBy(() -> SafetensorsFile.open(p).close())
                .isInstanceOf(IOException.class)
                .hasMessage(p + ": " + message);
    }

    @Test
    void missingFile() {
        fails(tmp.resolve("none.safetensors"), "no such file");
    }

    @Test
    void tooShortForTheHeaderLength() throws IOException {
        Path p = tmp.resolve("short.safetensors");
        Files.write(p, new byte[] {1, 2, 3});
        fails(p, "truncated: 3 bytes, too short for the safetensors header length");
    }

    @Test
    void headerLengthPastTheEnd() throws IOException {
        Path p = tmp.resolve("past.safetensors");
        Files.write(
                p,
                ByteBuffer.allocate(20)
                        .order(ByteOrder.LITTLE_ENDIAN)
                        .putLong(1000)
                        .array());
        fails(p, "truncated: header length 1000 runs past the end of the file (20 bytes)");
    }

    @Test
    void implausibleHeaderLength() throws IOException {
        Path p = tmp.resolve("huge.safetensors");
        Files.write(
                p,
                ByteBuffer.allocate(20)
                        .order(ByteOrder.LITTLE_ENDIAN)
                        .putLong(-2)
                        .array());
        fails(p, "not a safetensors file (header length 18446744073709551614 is not plausible)");
    }

    @Test
    void headerIsNotJson() throws IOException {
        Path p = file("{\"a\": [1, 2", 0);
        assertThatThrownBy(() -> SafetensorsFile.open(p))
                .isInstanceOf(IOException.class)
                .hasMessageStartingWith(p + ": header is not valid JSON (");
    }

    /** A header that does not describe its data: the case, the header, the bytes of data after it, the error. */
    static Stream<Arguments> badHeaders() {
        String w = "{\"w\":{\"dtype\":\"F32\",\"shape\":[%d],\"data_offsets\":[%d,%d]}}";
        return Stream.of(
                arguments(
                        "duplicate tensor name",
                        "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
                        8,
                        "header is not valid JSON (Duplicate field 'a')"),
                arguments(
                        "unknown dtype",
                        "{\"w\":{\"dtype\":\"F8_E4M3\",\"shape\":[2],\"data_offsets\":[0,2]}}",
                        2,
                        "tensor 'w': unsupported dtype 'F8_E4M3' (Veil reads F32, F16, BF16, F64, I32, I64, I8, U8)"),
                arguments(
                        "offsets past the end of the data",
                        w.formatted(4, 0, 16),
                        8,
                        "truncated: tensor 'w' data_offsets [0,16] run past the end of the data (8 bytes)"),
                arguments(
                        "offsets disagree with the shape",
                        w.formatted(3, 0, 8),
                        8,
                        "tensor 'w': data_offsets [0,8] hold 8 bytes but shape [3] of F32 needs 12"),
                arguments("reversed offsets", w.formatted(1, 8, 4), 8, "tensor 'w': invalid data_offsets [8,4]"),
                arguments(
                        "missing field",
                        "{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}",
                        8,
                        "tensor 'w': missing or invalid 'data_offsets' (expected [begin, end])"),
                arguments(
                        "overlapping tensors",
                        "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
                        12,
                        "tensors 'a' and 'b' overlap"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void badHeaders(String name, String header, int dataBytes, String message) throws IOException {
        fails(file(header, dataBytes), message);
    }

    @Test
    void truncatedRealFile() throws IOException {
        Path p = tmp.resolve("cut.safetensors");
        SafetensorsWriter.write(
                p, List.of(Tensor.ofFloats("a", new float[4], 4), Tensor.ofFloats("b", new float[4], 4)), Map.of());
        byte[] bytes = Files.readAllBytes(p);
        Files.write(p, Arrays.copyOf(bytes, bytes.length - 5));
        fails(p, "truncated: tensor 'b' data_offsets [16,32] run past the end of the data (27 bytes)");
    }

    @Test
    void indexListsAMissingShard() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("sharded"));
        Files.writeString(
                dir.resolve("model.safetensors.index.json"),
                "{\"weight_map\": {\"a\": \"model-00001-of-00002.safetensors\"}}");
        failsOpening(
                dir,
                dir.resolve("model-00001-of-00002.safetensors")
                        + ": missing shard listed in model.safetensors.index.json");
    }

    @Test
    void indexListsATensorTheShardLacks() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("sharded2"));
        SafetensorsWriter.write(
                dir.resolve("s1.safetensors"), List.of(Tensor.ofFloats("a", new float[1], 1)), Map.of());
        Files.writeString(
                dir.resolve("model.safetensors.index.json"),
                "{\"weight_map\": {\"a\": \"s1.safetensors\", \"b\": \"s1.safetensors\"}}");
        failsOpening(
                dir,
                dir.resolve("s1.safetensors") + ": no tensor 'b' although model.safetensors.index.json lists it there");
    }

    @Test
    void indexIsNotJson() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("sharded3"));
        Files.writeString(dir.resolve("model.safetensors.index.json"), "{ nope");
        assertThatThrownBy(() -> SafetensorsWeights.open(dir))
                .isInstanceOf(IOException.class)
                .hasMessageStartingWith(dir.resolve("model.safetensors.index.json") + ": not valid JSON (");
    }

    private static void failsOpening(Path dir, String message) {
        assertThatThrownBy(() -> SafetensorsWeights.open(dir))
                .isInstanceOf(IOException.class)
                .hasMessage(message);
    }
}
