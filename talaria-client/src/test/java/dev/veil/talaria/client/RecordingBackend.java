package dev.veil.talaria.client;

import dev.veil.engine.ForwardingBackend;
import dev.veil.engine.LinearBackend;
import dev.veil.engine.LinearOp;
import dev.veil.talaria.protocol.ModelName;
import dev.veil.talaria.protocol.Product;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Wraps a backend and records every row that crosses the seam in the clear: the ground truth the wire is compared with. */
final class RecordingBackend extends ForwardingBackend {

    record Call(ModelName name, int n, float[] in, float[] out, int[] tokens) {}

    final List<Call> calls = new ArrayList<>();

    RecordingBackend(LinearBackend inner) {
        super(inner);
    }

    @Override
    public void embed(int[] tokens, float[] out) {
        inner.embed(tokens, out);
        calls.add(new Call(
                ModelName.EMBED,
                tokens.length,
                null,
                Arrays.copyOf(out, tokens.length * config().hiddenSize()),
                tokens.clone()));
    }

    @Override
    public void apply(LinearOp op, int layer, float[] x, int n, float[] out) {
        inner.apply(op, layer, x, n, out);
        ModelName name = ModelName.of(Product.of(op), layer);
        calls.add(new Call(
                name,
                n,
                Arrays.copyOf(x, n * name.inDim(config())),
                Arrays.copyOf(out, n * name.outDim(config())),
                null));
    }
}
