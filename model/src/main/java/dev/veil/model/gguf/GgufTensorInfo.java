package dev.veil.model.gguf;

import java.util.Arrays;

/**
 * One entry of a GGUF file's tensor table.
 *
 * @param ne     dimensions in ggml order (ne[0] is the contiguous one); {@link #shape()} gives PyTorch order
 * @param offset byte offset of the data from the start of the file's data section
 */
public record GgufTensorInfo(String name, GgmlType type, long[] ne, long offset) {

    /** Dimensions in PyTorch order: ggml's ne[] reversed, so a linear weight reads [out, in]. */
    public long[] shape() {
        long[] s = new long[ne.length];
        for (int i = 0; i < ne.length; i++) s[i] = ne[ne.length - 1 - i];
        return s;
    }

    public long elements() {
        long n = 1;
        for (long d : ne) n = Math.multiplyExact(n, d);
        return n;
    }

    public long byteSize() {
        return type.bytes(elements());
    }

    @Override
    public String toString() {
        return name + " " + type + Arrays.toString(shape());
    }
}
