package dev.veil.attack.capture;

import dev.veil.engine.ForwardingBackend;
import dev.veil.engine.LinearBackend;
import dev.veil.engine.LinearOp;
import dev.veil.talaria.protocol.ModelName;
import dev.veil.talaria.protocol.Product;
import java.util.function.Predicate;

/**
 * An instrumented server: wraps the backend a server runs on and records what crosses the seam — the rows sent into
 * each product ({@code in/<name>}) and what the product returned ({@code out/<name>}), the embedding's output
 * included ({@code out/embed}). Names are the Talaria wire names ({@code layer.0.qkv}, ...). Inside an AloePri server
 * these are internal states the server computes anyway.
 */
public final class RecordingBackend extends ForwardingBackend {

    private final SeamLog log;

    /** @param keep which keys ({@code in/layer.0.qkv}, {@code out/embed}, ...) to keep rows of; every call is logged */
    public RecordingBackend(LinearBackend inner, Predicate<String> keep) {
        super(inner);
        this.log = new SeamLog(keep);
    }

    @Override
    public void embed(int[] tokens, float[] out) {
        inner.embed(tokens, out);
        String name = ModelName.EMBED.toString();
        log.call(name, tokens.length);
        log.rows("out/" + name, out, tokens.length, config().hiddenSize());
    }

    @Override
    public void apply(LinearOp op, int layer, float[] x, int n, float[] out) {
        inner.apply(op, layer, x, n, out);
        String name = ModelName.of(Product.of(op), layer).toString();
        log.call(name, n);
        log.rows("in/" + name, x, n, op.inDim(config()));
        log.rows("out/" + name, out, n, op.outDim(config()));
    }

    /** What was recorded since the last call, as request {@code index} with the given token-id streams. */
    public Request take(int index, int[] idsIn, int[] idsOut) {
        return log.take(index, idsIn, idsOut);
    }

    @Override
    public void close() {
        inner.close();
    }
}
