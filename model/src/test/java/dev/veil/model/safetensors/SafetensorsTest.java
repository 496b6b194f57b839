package dev.veil.model.safetensors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.model.DType;
import dev.veil.model.Tensor;
import dev.veil.model.TensorSpec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    /** A file laid out by hand from the format description, as torch/safetensors writes it. */
    @Test
    void readsAHandBuiltFile() throws IOException {
        String header = "{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"b\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[24,28]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}}";
        ByteBuffer buf = ByteBuffer.allocate(8 + header.length() + 28).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(header.length()).put(header.getBytes(StandardCharsets.US_ASCII));
        for (int i = 0; i < 6; i++) buf.putFloat(i * 0.5f - 1);
        buf.putShort((short) 0x3f80).putShort((short) 0xc020); // bf16 1.0, -2.5
        Path file = tmp.resolve("hand.safetensors");
        Files.write(file, buf.array());

        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertThat(f.metadata()).containsExactly(Map.entry("format", "pt"));
            assertThat(f.names()).containsExactly("b", "a");
            Tensor a = f.tensor("a");
            assertThat(a.dtype()).isEqualTo(DType.F32);
            assertThat(a.shape()).containsExactly(2, 3);
            assertThat(a.toFloats()).containsExactly(-1f, -0.5f, 0f, 0.5f, 1f, 1.5f);
            assertThat(a.row(1)).containsExactly(0.5f, 1f, 1.5f);
            assertThat(f.tensor("b").toFloats()).containsExactly(1f, -2.5f);
            assertThatThrownBy(() -> f.tensor("c")).hasMessage(file + ": no tensor 'c'");
        }
    }

    @Test
    void writerLaysOutHeaderAndDataAsTheFormatSays() throws IOException {
        Tensor w = Tensor.of("w", DType.F16, new float[] {1, 2, 3}, 3);
        Tensor s = Tensor.ofFloats("s", new float[] {7}, new long[0]);
        Path file = tmp.resolve("out.safetensors");
        SafetensorsWriter.write(file, List.of(w, s), Map.of("format", "pt"));

        byte[] bytes = Files.readAllBytes(file);
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long n = buf.getLong();
        assertThat((8 + n) % 8).isZero();
        assertThat(bytes.length).isEqualTo(8 + n + 6 + 4);
        String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
        assertThat(header.stripTrailing()).startsWith("{").endsWith("}");
        JsonNode h = JSON.readTree(header);
        assertThat(h.at("/__metadata__/format").asText()).isEqualTo("pt");
        assertThat(h.at("/w/dtype").asText()).isEqualTo("F16");
        assertThat(h.at("/w/shape").toString()).isEqualTo("[3]");
        assertThat(h.at("/w/data_offsets").toString()).isEqualTo("[0,6]");
        assertThat(h.at("/s/shape").toString()).isEqualTo("[]");
        assertThat(h.at("/s/data_offsets").toString()).isEqualTo("[6,10]");
        buf.position((int) (8 + n));
        assertThat(buf.getShort()).isEqualTo(Float.floatToFloat16(1));
        buf.position((int) (8 + n + 6));
        assertThat(buf.getFloat()).isEqualTo(7f);
        assertThat(Files.exists(tmp.resolve("out.safetensors.partial"))).isFalse();
    }

    @Test
    void roundTripIsBitIdenticalForEveryDtype() throws IOException {
        List<Tensor> tensors = new ArrayList<>();
        Random r = new Random(1);
        for (DType d : List.of(DType.F32, DType.F16, DType.BF16)) {
            float[] v = new float[5 * 7];
            for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
            tensors.add(Tensor.of("t." + d, d, v, 5, 7));
        }
        Path file = tmp.resolve("rt.safetensors");
        SafetensorsWriter.write(file, tensors, Map.of());
        try (SafetensorsWeights w = SafetensorsWeights.open(file)) {
            assertThat(w.names()).containsExactly("t.F32", "t.F16", "t.BF16");
            for (Tensor t : tensors) assertSameBits(w.get(t.name()), t);
        }
    }

    @Test
    void streamingWriterRefusesOutOfOrderTensorsAndLeavesNothingWhenIncomplete() throws IOException {
        Tensor a = Tensor.ofFloats("a", new float[] {1, 2}, 2);
        Tensor b = Tensor.ofFloats("b", new float[] {3}, 1);
        Path file = tmp.resolve("partial.safetensors");
        SafetensorsWriter w = SafetensorsWriter.create(file, List.of(TensorSpec.of(a), TensorSpec.of(b)), Map.of());
        assertThatThrownBy(() -> w.write(b))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(file + ": expected tensor a F32[2] next, got b F32[1]");
        w.write(a);
        assertThatThrownBy(w::close)
                .isInstanceOf(IOException.class)
                .hasMessage(file + ": only 1 of 2 tensors were written (next: b); nothing was saved");
        assertThat(Files.list(tmp)).isEmpty();
    }

    @Test
    void shardedWriterSplitsByMaxSizeAndTheIndexReadsBack() throws IOException {
        List<Tensor> tensors = new ArrayList<>();
        for (int i = 0; i < 5; i++)
            tensors.add(Tensor.ofFloats("layer" + i, new float[] {i, i + 0.5f, -i}, 3)); // 12 bytes each
        Path dir = tmp.resolve("model");
        try (ShardedSafetensorsWriter w = ShardedSafetensorsWriter.create(
                dir, tensors.stream().map(TensorSpec::of).toList(), Map.of("format", "pt"), 25)) {
            assertThat(w.fileNames())
                    .containsExactly(
                            "model-00001-of-00003.safetensors",
                            "model-00002-of-00003.safetensors",
                            "model-00003-of-00003.safetensors");
            for (Tensor t : tensors) w.write(t);
        }
        JsonNode index =
                JSON.readTree(dir.resolve("model.safetensors.index.json").toFile());
        assertThat(index.at("/metadata/total_size").asLong()).isEqualTo(60);
        assertThat(index.at("/weight_map/layer4").asText()).isEqualTo("model-00003-of-00003.safetensors");
        assertThat(index.at("/weight_map/layer1").asText()).isEqualTo("model-00001-of-00003.safetensors");
        try (SafetensorsWeights w = SafetensorsWeights.open(dir)) {
            assertThat(w.files()).hasSize(3);
            assertThat(w.names()).hasSize(5);
            for (Tensor t : tensors) assertSameBits(w.get(t.name()), t);
            assertThat(w.metadata()).containsEntry("format", "pt");
        }
    }

    @Test
    void shardedWriterWritesASingleFileWhenEverythingFits() throws IOException {
        Tensor t = Tensor.ofFloats("x", new float[] {1}, 1);
        Path dir = tmp.resolve("one");
        try (ShardedSafetensorsWriter w =
                ShardedSafetensorsWriter.create(dir, List.of(TensorSpec.of(t)), Map.of(), 1 << 20)) {
            w.write(t);
        }
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("model.safetensors");
        }
        try (SafetensorsWeights w = SafetensorsWeights.open(dir)) {
            assertSameBits(w.get("x"), t);
        }
    }

    static void assertSameBits(Tensor actual, Tensor expected) {
        assertThat(actual.dtype()).as(expected.name()).isEqualTo(expected.dtype());
        assertThat(actual.shape()).as(expected.name()).isEqualTo(expected.shape());
        assertThat(actual.data().mismatch(expected.data()))
                .as(expected.name() + " bytes")
                .isEqualTo(-1);
    }
}
