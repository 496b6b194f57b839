package dev.veil.server;

import dev.veil.engine.ForwardingBackend;
import dev.veil.engine.LinearBackend;
import dev.veil.engine.TestModels;
import dev.veil.engine.Transformer;
import dev.veil.engine.backend.LocalLinearBackend;
import dev.veil.engine.kernel.MatMul.Batching;
import dev.veil.engine.kernel.Parallel;
import dev.veil.model.DType;
import dev.veil.model.ModelConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/** Servers on random-weight models for tests here and in the gateway's and the bench's tests (server test-jar). */
public final class TestServers {

    /** The kernel pool all test servers share (tests run on small machines). */
    public static final Parallel PARALLEL = new Parallel(2);

    private TestServers() {}

    /** Waits up to 30 s until {@code condition} holds (a server's metrics catching up); {@code what} names it. */
    public static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting until " + what);
            Thread.sleep(5);
        }
    }

    /** A random F32 model of shape {@code c} on the local backend, batch-invariant as {@code veil serve} runs it. */
    public static Transformer model(ModelConfig c, long seed) {
        return new Transformer(backend(c, seed), PARALLEL);
    }

    public static LocalLinearBackend backend(ModelConfig c, long seed) {
        return new LocalLinearBackend(c, TestModels.random(c, DType.F32, seed), PARALLEL, Batching.INVARIANT);
    }

    /** Loopback, a free port, quick keep-alives. */
    public static ServerOptions options(String name) {
        return ServerOptions.defaults(name).withAddress("127.0.0.1", 0).withKeepAlive(Duration.ofMillis(200));
    }

    /**
     * The request-validation tests' server: the engine's random Llama (vocabulary 300, context 256), eos id 2. One
     * per test JVM, shared by the tests that only send it requests (BadRequestTest, CompletionFuzzTest), closed at exit.
     */
    static InferenceServer tinyLlama() {
        return TinyLlama.SERVER;
    }

    private static final class TinyLlama {
        static final InferenceServer SERVER;

        static {
            try {
                SERVER = start(model(TestModels.llama(), 5), List.of(2), options("tiny"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Runtime.getRuntime().addShutdownHook(new Thread(SERVER::close));
        }
    }

    public static InferenceServer start(Transformer model, List<Integer> eosIds, ServerOptions options)
            throws IOException {
        return InferenceServer.start(model, eosIds, options);
    }

    /**
     * A backend that holds every forward pass at the embedding lookup while closed, so a test can line up requests
     * (in the queue, in one batch) before the model runs.
     */
    public static final class Gate extends ForwardingBackend {
        private volatile CountDownLatch latch = new CountDownLatch(0);
        private final AtomicInteger passes = new AtomicInteger();

        public Gate(LinearBackend inner) {
            super(inner);
        }

        /** Passes from now on wait at the gate. */
        public void hold() {
            holdAfter(0);
        }

        /**
         * The next {@code n} passes go through, the ones after wait at the gate: a test can hold a sequence right after
         * its first token without racing the server for it (a tiny model writes hundreds of tokens in milliseconds).
         */
        public void holdAfter(int n) {
            passes.set(n);
            latch = new CountDownLatch(1);
        }

        /** Lets the waiting pass (and all later ones) through. */
        public void release() {
            latch.countDown();
        }

        @Override
        public void embed(int[] tokens, float[] out) {
            try {
                if (passes.getAndUpdate(n -> Math.max(n - 1, 0)) == 0 && !latch.await(60, TimeUnit.SECONDS))
                    throw new IllegalStateException("gate never opened");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            inner.embed(tokens, out);
        }
    }
}
