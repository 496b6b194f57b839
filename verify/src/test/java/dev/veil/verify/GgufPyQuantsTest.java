package dev.veil.verify;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.model.DType;
import dev.veil.model.Quant;
import dev.veil.model.VeilCache;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Veil's block codec against llama.cpp's Python one (gguf-py's quants.py from the bundled llama.cpp source, which
 * needs python3 with numpy): the blocks gguf-py quantizes (Q8_0, Q5_0; it has no K-quant quantizer) are byte for byte
 * Veil's, and gguf-py dequantizes blocks Veil wrote (all four types) to exactly Veil's floats. Independent of Veil's
 * own reading of ggml-common.h: a swapped nibble, scale bit or byte order fails here.
 */
class GgufPyQuantsTest {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final int ROWS = 6, COLS = 512;

    @TempDir
    Path tmp;

    private static float[] values(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[ROWS * COLS];
        for (int i = 0; i < v.length; i++)
            v[i] = (float) (r.nextGaussian() * (1 + (i / 32) % 5)); // blocks of varied scale
        v[40] = 0; // and a block edge case or two: an exact zero, a repeated maximum
        v[70] = v[71] = 9.5f;
        return v;
    }

    @ParameterizedTest
    @CsvSource({"Q8_0", "Q5_0"})
    void ggufPyQuantizesAsVeilDoes(DType type) throws Exception {
        float[] x = values(1);
        Path in = tmp.resolve("x.f32"), out = tmp.resolve("q.bin");
        writeFloats(in, x);
        ggufPy("quantize", type, in, out);
        MemorySegment veil = Arena.ofAuto().allocate(type.byteSize(x.length));
        Quant.quantize(type, x, 0, x.length, veil, 0);
        assertThat(Files.readAllBytes(out)).containsExactly(veil.toArray(ValueLayout.JAVA_BYTE));
    }

    @ParameterizedTest
    @EnumSource(names = {"Q8_0", "Q5_0", "Q4_K", "Q6_K"})
    void ggufPyDequantizesVeilsBlocks(DType type) throws Exception {
        float[] x = values(2);
        MemorySegment q = Arena.ofAuto().allocate(type.byteSize(x.length));
        Quant.quantize(type, x, 0, x.length, q, 0);
        Path in = tmp.resolve("q.bin"), out = tmp.resolve("y.f32");
        Files.write(in, q.toArray(ValueLayout.JAVA_BYTE));
        ggufPy("dequantize", type, in, out);
        float[] mine = new float[x.length];
        Quant.dequantize(type, q, 0, mine, 0, x.length);
        float[] theirs = MemorySegment.ofArray(Files.readAllBytes(out)).toArray(F32);
        assertThat(theirs).containsExactly(mine);
    }

    private static void writeFloats(Path p, float[] v) throws IOException {
        MemorySegment s = Arena.ofAuto().allocate(4L * v.length);
        MemorySegment.copy(v, 0, s, F32, 0, v.length);
        Files.write(p, s.toArray(ValueLayout.JAVA_BYTE));
    }

    /** The python3 on PATH if it has numpy, else Debian's (scripts/fetch-fixtures.sh installs python3-numpy there). */
    private static String python() throws Exception {
        Process p = new ProcessBuilder("python3", "-c", "import numpy")
                .redirectErrorStream(true)
                .start();
        p.getInputStream().readAllBytes();
        return p.waitFor(1, TimeUnit.MINUTES) && p.exitValue() == 0 ? "python3" : "/usr/bin/python3";
    }

    private void ggufPy(String mode, DType type, Path in, Path out) throws Exception {
        Path ggufPy = VeilCache.require(
                        VeilCache.dir(), "llama.cpp/gguf-py/gguf/quants.py", "llama.cpp's source (gguf-py)")
                .getParent()
                .getParent();
        Path script = tmp.resolve("ggufpy_quants.py");
        try (InputStream s = GgufPyQuantsTest.class.getResourceAsStream("ggufpy_quants.py")) {
            Files.write(script, s.readAllBytes());
        }
        Process p = new ProcessBuilder(
                        python(),
                        script.toString(),
                        ggufPy.toString(),
                        mode,
                        type.name(),
                        Integer.toString(COLS),
                        in.toString(),
                        out.toString())
                .redirectErrorStream(true)
                .start();
        String output = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(2, TimeUnit.MINUTES)).isTrue();
        assertThat(p.exitValue()).as("gguf-py (python3 with numpy): %s", output).isZero();
    }
}
