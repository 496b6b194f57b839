package dev.veil.model.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import dev.veil.model.DType;
import dev.veil.model.Fixtures;
import dev.veil.model.ModelFiles;
import dev.veil.model.RandomModels;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every corrupt or truncated GGUF input fails with one IOException "PATH: problem". */
class GgufBadInputTest {
    @TempDir
    Path tmp;

    /** Little-endian GGUF bytes built by hand, field by field, as the format describes them. */
    static final class Bytes {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Bytes u32(long v) {
            return put(ByteBuffer.allocate(4)
                    .order(ByteOrder.LITTLE_ENDIAN)
                    .putInt((int) v)
                    .array());
        }

        Bytes u64(long v) {
            return put(ByteBuffer.allocate(8)
                    .order(ByteOrder.LITTLE_ENDIAN)
                    .putLong(v)
                    .array());
        }

        Bytes str(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            return u64(b.length).put(b);
        }

        Bytes put(byte[] b) {
            out.writeBytes(b);
            return this;
        }

        Bytes pad(int alignment) {
            while (out.size() % alignment != 0) out.write(0);
            return this;
        }

        /** GGUF magic, version 3, tensor and kv counts. */
        static Bytes header(long tensors, long kvs) {
            return new Bytes()
                    .put("GGUF".getBytes(StandardCharsets.US_ASCII))
                    .u32(3)
                    .u64(tensors)
                    .u64(kvs);
        }

        /** A tensor table entry: name, dims (ggml order), type, offset. */
        Bytes tensor(String name, long[] ne, int type, long offset) {
            str(name).u32(ne.length);
            for (long d : ne) u64(d);
            return u32(type).u64(offset);
        }

        Path write(Path p) throws IOException {
            Files.write(p, out.toByteArray());
            return p;
        }
    }

    private Path path() {
        return tmp.resolve("bad.gguf");
    }

    private static void fails(Path p, String message) {
        assertThatThrownBy(() -> GgufFile.open(p).close())
                .isInstanceOf(IOException.class)
                .hasMessage(p + ": " + message);
    }

    @Test
    void aWellFormedHandBuiltFileReads() throws IOException {
        Path p = Bytes.header(1, 2)
                .str("general.architecture")
                .u32(8)
                .str("llama")
                .str("a.list")
                .u32(9)
                .u32(4)
                .u64(3)
                .u32(7)
                .u32(8)
                .u32(0xffffffffL)
                .tensor("t", new long[] {2, 3}, 0, 0)
                .pad(32)
                .put(ByteBuffer.allocate(24)
                        .order(ByteOrder.LITTLE_ENDIAN)
                        .putFloat(1)
                        .putFloat(2)
                        .putFloat(3)
                        .putFloat(4)
                        .putFloat(5)
                        .putFloat(6)
                        .array())
                .write(path());
        try (GgufFile g = GgufFile.open(p)) {
            assertThat(g.getString("general.architecture")).isEqualTo("llama");
            assertThat((long[]) g.metadata().get("a.list")).containsExactly(7, 8, 0xffffffffL);
            assertThat(g.tensor("t").shape()).containsExactly(3, 2);
            assertThat(g.tensor("t").row(2)).containsExactly(5, 6);
        }
    }

    @Test
    void missingFile() {
        fails(tmp.resolve("none.gguf"), "no such file");
    }

    /** A file that is not a valid GGUF header, metadata or tensor table: the case, its bytes, the error. */
    static Stream<Arguments> badFiles() {
        byte[] magic = "GGUF".getBytes(StandardCharsets.US_ASCII);
        return Stream.of(
                arguments(
                        "bad magic",
                        new Bytes().put(new byte[] {'P', 'K', 3, 4, 0, 0, 0, 0}),
                        "not a GGUF file (bad magic \"PK\\x03\\x04\", expected \"GGUF\")"),
                arguments(
                        "too short for the magic",
                        new Bytes().put(new byte[] {'G', 'G'}),
                        "not a GGUF file (2 bytes, too short for the magic)"),
                arguments(
                        "wrong version",
                        new Bytes().put(magic).u32(1).u32(0).u32(0),
                        "unsupported GGUF version 1 (Veil reads versions 2 and 3)"),
                arguments(
                        "truncated header",
                        new Bytes().put(magic).u32(3).u32(0),
                        "truncated: header needs 8 bytes at offset 8 but the file has 12 bytes"),
                arguments(
                        "counts larger than the file could hold",
                        Bytes.header(0, 1L << 40),
                        "truncated: header has 1099511627776 elements at offset 24 but the file has only 24 bytes"),
                arguments(
                        "string longer than the file",
                        Bytes.header(0, 1).u64(1000).put("general".getBytes(StandardCharsets.US_ASCII)),
                        "truncated: metadata key #0 has a string of 1000 bytes at offset 32 but the file has 39 bytes"),
                arguments(
                        "unknown value type",
                        Bytes.header(0, 1).str("k").u32(99),
                        "metadata key 'k' has unknown value type 99"),
                arguments(
                        "array count past the end",
                        Bytes.header(0, 1).str("k").u32(9).u32(6).u64(1000).u32(0),
                        "truncated: metadata key 'k' has 1000 elements at offset 49 but the file has only 53 bytes"),
                arguments(
                        "unknown tensor type",
                        oneTensor("t", new long[] {4}, 99, 0, 16),
                        "tensor 't' has unknown ggml type 99"),
                arguments(
                        "too many dimensions",
                        Bytes.header(1, 0).tensor("t", new long[] {1, 1, 1, 1, 1}, 0, 0),
                        "tensor 't' has 5 dimensions (GGUF allows 1 to 4)"),
                arguments(
                        "offset out of range",
                        oneTensor("t", new long[] {4}, 0, 1 << 20, 16),
                        "truncated: tensor 't' needs bytes 1048640..1048656 but the file has 80 bytes"),
                arguments(
                        "misaligned offset",
                        oneTensor("t", new long[] {4}, 0, 4, 32),
                        "tensor 't' has offset 4, not a multiple of the alignment 32"),
                arguments(
                        "overlapping tensors",
                        Bytes.header(2, 0)
                                .tensor("a", new long[] {16}, 0, 0)
                                .tensor("b", new long[] {8}, 0, 32)
                                .pad(32)
                                .put(new byte[64]),
                        "tensor 'b' at offset 32 overlaps tensor 'a'"),
                arguments(
                        "quantized row not a whole block",
                        oneTensor("q", new long[] {16, 2}, GgmlType.Q4_0.id, 0, 64),
                        "tensor 'q' of type Q4_0 has rows of 16 elements, not a multiple of its block size 32"));
    }

    /** One tensor's table entry, then {@code dataBytes} zero bytes of data after the alignment padding. */
    private static Bytes oneTensor(String name, long[] ne, int type, long offset, int dataBytes) {
        return Bytes.header(1, 0).tensor(name, ne, type, offset).pad(32).put(new byte[dataBytes]);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void badFiles(String name, Bytes file, String message) throws IOException {
        fails(file.write(path()), message);
    }

    @Test
    void quantizedTensorsAreListedButNotRead() throws IOException {
        Path p = Bytes.header(1, 0)
                .tensor("q", new long[] {32, 2}, GgmlType.Q4_0.id, 0)
                .pad(32)
                .put(new byte[36])
                .write(path());
        try (GgufFile g = GgufFile.open(p)) {
            assertThat(g.tensorInfo("q").byteSize()).isEqualTo(36);
            assertThatThrownBy(() -> g.tensor("q"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage(
                            p
                                    + ": tensor 'q' has type Q4_0; Veil reads F32, F16, BF16, Q8_0, Q5_0, Q4_K and Q6_K (requantize the model, e.g. llama-quantize ... Q4_K_M, or convert from the HF checkpoint)");
        }
    }

    @Test
    void truncatedTensorData() throws IOException {
        Path good = RandomModels.writeHf(tmp.resolve("m"), RandomModels.llama(), DType.F32, 1);
        Path gguf = tmp.resolve("m.gguf");
        try (ModelFiles m = ModelFiles.open(good)) {
            GgufExport.write(m, gguf, DType.F32);
        }
        String last;
        long start, end;
        try (GgufFile g = GgufFile.open(gguf)) {
            GgufTensorInfo t = g.tensors().getLast();
            last = t.name();
            start = g.dataStart() + t.offset();
            end = start + t.byteSize();
        }
        byte[] bytes = Files.readAllBytes(gguf);
        Files.write(gguf, Arrays.copyOf(bytes, bytes.length - 100));
        fails(
                gguf,
                "truncated: tensor '" + last + "' needs bytes " + start + ".." + end + " but the file has "
                        + (bytes.length - 100) + " bytes");
        // ModelFiles reports the same single line
        assertThatThrownBy(() -> ModelFiles.open(gguf))
                .isInstanceOf(IOException.class)
                .hasMessage(gguf + ": truncated: tensor '" + last + "' needs bytes " + start + ".." + end
                        + " but the file has " + (bytes.length - 100) + " bytes");
    }

    @Test
    void truncatedInsideTheMetadata() throws IOException {
        Path vocab = Fixtures.vocabGguf("gpt-2");
        byte[] head = Arrays.copyOf(Files.readAllBytes(vocab), 100_000);
        Path p = Files.write(path(), head);
        assertThatThrownBy(() -> GgufFile.open(p))
                .isInstanceOf(IOException.class)
                .hasMessageStartingWith(p + ": truncated: metadata key 'tokenizer.ggml.tokens' ")
                .hasMessageEndingWith("but the file has only 100000 bytes");
    }

    @Test
    void unsupportedArchitectureAsAModel() throws IOException {
        Path gpt2 = Fixtures.vocabGguf("gpt-2");
        assertThatThrownBy(() -> ModelFiles.open(gpt2))
                .isInstanceOf(IOException.class)
                .hasMessage(
                        gpt2 + ": unsupported architecture 'gpt2' (Veil reads llama, qwen2, qwen3 and qwen3moe GGUFs)");
    }

    @Test
    void vocabOnlyGgufIsNotAModel() throws IOException {
        Path qwen = Fixtures.vocabGguf("qwen2");
        assertThatThrownBy(() -> ModelFiles.open(qwen))
                .isInstanceOf(IOException.class)
                .hasMessage(qwen + ": missing tensor 'token_embd.weight'");
    }

    @Test
    void aByteSizeThatWouldWrapIsRefusedNotSlicedAsZeroBytes() throws IOException {
        // 2^62 F32 elements fit a long, their 2^64 bytes wrap to 0: before the fix this opened as an empty slice
        Path p = Bytes.header(1, 0)
                .tensor("t", new long[] {1L << 62}, 0, 0)
                .pad(32)
                .write(path());
        fails(p, "tensor 't' of type F32 has 4611686018427387904 elements, more bytes than a file can hold");
        Path q = Bytes.header(1, 0)
                .tensor("q", new long[] {9_000_000_000_000_000_000L}, 8, 0)
                .pad(32)
                .write(path()); // Q8_0: 34 bytes per 32
        fails(q, "tensor 'q' of type Q8_0 has 9000000000000000000 elements, more bytes than a file can hold");
    }
}
