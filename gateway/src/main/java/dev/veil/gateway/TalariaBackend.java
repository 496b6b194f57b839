package dev.veil.gateway;

import dev.veil.engine.Generation;
import dev.veil.engine.GenerationOptions;
import dev.veil.model.ModelConfig;
import dev.veil.talaria.client.TalariaRuntime;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * Talaria upstream: the gateway itself runs the client runtime — tokenizer, attention, KV cache and sampling stay on
 * this (trusted) side, penalties and min-p included — and the cloud computes every weight product on masked rows. The cloud receives no token id;
 * the untrusted view of a turn is the sizes of the masked tensors it was sent. Generations run one at a time on the
 * runtime (its masks and setup are per request); concurrent apps queue.
 */
public final class TalariaBackend implements PrivateCompletionBackend {

    private final TalariaRuntime runtime;

    public TalariaBackend(TalariaRuntime runtime) {
        this.runtime = runtime;
    }

    @Override
    public String mode() {
        return "talaria";
    }

    @Override
    public int contextLength() {
        return runtime.config().maxPositionEmbeddings();
    }

    @Override
    public PrivateStream open(PrivateRequest r) {
        return new Stream(r);
    }

    /** A generation on a virtual thread, handing each id to the gateway's request thread through a queue. */
    private final class Stream implements PrivateStream {
        private static final int END = -1;
        private final BlockingQueue<Integer> ids = new LinkedBlockingQueue<>();
        private final PrivateRequest request;
        private volatile boolean cancelled;
        private volatile RuntimeException failure;
        private volatile Generation generation;
        private Finish finish;

        Stream(PrivateRequest r) {
            this.request = r;
            Thread.ofVirtual().name("talaria-generation").start(this::run);
        }

        private void run() {
            try {
                generation = runtime.generate(
                        request.promptIds(),
                        new GenerationOptions(request.maxTokens(), request.sampling(), request.stopTokenIds()),
                        ids::add,
                        id -> cancelled);
            } catch (RuntimeException e) {
                failure = e;
            } finally {
                ids.add(END);
            }
        }

        @Override
        public int next() throws UpstreamException {
            if (finish != null) return END;
            int id;
            try {
                id = ids.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                close();
                throw new UpstreamException(503, "interrupted while waiting for the Talaria runtime");
            }
            if (id != END) return id;
            if (failure != null)
                throw new UpstreamException(502, "the Talaria cloud failed: " + failure.getMessage(), failure);
            finish = generation.finishReason() == Generation.FinishReason.MAX_TOKENS ? Finish.LENGTH : Finish.STOP;
            return END;
        }

        @Override
        public Finish finish() {
            return finish;
        }

        @Override
        public UntrustedView untrustedView() {
            int generated = generation == null ? 0 : generation.outputIds().length;
            return new UntrustedView(
                    "talaria", new int[0], new int[0], sent(runtime.config(), request.promptIds().length, generated));
        }

        @Override
        public void close() {
            cancelled = true;
        }
    }

    /**
     * The masked tensors the cloud was sent for a prompt of {@code prompt} tokens and {@code generated} new ones: every
     * token but the last generated one passes through every product; the LM head sees one row per generated token.
     */
    static List<UntrustedView.Tensors> sent(ModelConfig c, int prompt, int generated) {
        int fed = prompt + Math.max(0, generated - 1), layerRows = fed * c.numLayers();
        return List.of(
                tensors("embed (masked one-hot rows)", fed, c.vocabSize()),
                tensors("layer.*.qkv", layerRows, c.hiddenSize()),
                tensors("layer.*.o", layerRows, c.qDim()),
                tensors("layer.*.gate_up", layerRows, c.hiddenSize()),
                tensors("layer.*.down", layerRows, c.intermediateSize()),
                tensors("lm_head", generated, c.hiddenSize()));
    }

    private static UntrustedView.Tensors tensors(String product, int rows, int cols) {
        return new UntrustedView.Tensors(product, rows, cols, (long) rows * cols);
    }

    @Override
    public void close() {
        runtime.close();
    }
}
