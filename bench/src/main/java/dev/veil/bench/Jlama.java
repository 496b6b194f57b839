package dev.veil.bench;

import com.github.tjake.jlama.model.AbstractModel;
import com.github.tjake.jlama.model.ModelSupport;
import com.github.tjake.jlama.safetensors.DType;
import com.github.tjake.jlama.tensor.AbstractTensor;
import com.github.tjake.jlama.tensor.KvBufferCache;
import com.github.tjake.jlama.util.PhysicalCoreExecutor;
import dev.veil.model.ModelConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import jdk.incubator.vector.FloatVector;

/**
 * Jlama 0.8.4 (a Java engine Veil did not write) on a Hugging Face model directory: raw last-position logits, greedy
 * tokens and timings from token ids. Jlama needs a {@code tokenizer.json} in the directory, though no text is used.
 *
 * <p>Jlama covers less than Veil: see {@link #unsupported(ModelConfig)}.
 *
 * <p>On first use Jlama sets the JVM-wide property {@code jdk.incubator.vector.VECTOR_ACCESS_OOB_CHECK=0}, which turns
 * off the Vector API's bounds checks for every caller if the Vector API initialises after it — Veil's kernels included
 * (measured: BF16 decode ~2.5× faster without them). {@link #load} therefore initialises the Vector API first and
 * restores the property, so Jlama runs under the JVM's own setting and never changes Veil's behind its back.
 */
public final class Jlama implements EngineBench.Contender {
    private static int threadsInUse;

    private final AbstractModel model;
    private final KvBufferCache kvCache;
    private final int vocab;

    private Jlama(AbstractModel model) {
        this.model = model;
        this.kvCache = new KvBufferCache(model);
        this.vocab = model.getConfig().vocabularySize;
    }

    /**
     * Why Jlama 0.8.4 cannot run this shape, or null when it can. Read from its source (LlamaConfig, Qwen2Config,
     * LlamaModel, Config): head size is always hidden/heads; rope_scaling is honoured only for type "linear";
     * its Llama graph loads no q/k/v bias (its Qwen2 graph always does); its Panama matmul reads whole vectors, so
     * the dimensions it multiplies over must be multiples of the float vector length (16 with AVX-512, 8 with AVX2).
     */
    public static String unsupported(ModelConfig c) {
        if (c.headDim() * c.numHeads() != c.hiddenSize())
            return "head_dim " + c.headDim() + " != hidden_size/num_heads (Jlama derives head size from hidden/heads)";
        if (c.qkNorm() || c.moe() != null)
            return c.architecture().hfClass + " (Jlama 0.8 has no Qwen3 q_norm/k_norm or Qwen3 experts)";
        if (c.ropeScaling() != null) return "llama3 rope_scaling (Jlama applies only linear scaling)";
        if (c.architecture() == ModelConfig.Architecture.LLAMA && c.attentionBias())
            return "attention_bias on a Llama model (Jlama's Llama graph has no q/k/v bias)";
        if (c.eosTokenIds().size() != 1) return "Jlama reads exactly one eos_token_id";
        int lanes = FloatVector.SPECIES_PREFERRED.length();
        for (int dim : new int[] {c.hiddenSize(), c.intermediateSize(), c.headDim()})
            if (dim % lanes != 0)
                return "hidden, intermediate and head sizes must be multiples of " + lanes
                        + " (Jlama's vector kernels have no scalar tail)";
        return null;
    }

    /**
     * Loads {@code dir} with F32 working memory. Jlama's thread pool is process-wide and fixed at first use,
     * so {@code threads} applies to the first load in a JVM only.
     */
    public static synchronized Jlama load(Path dir, int threads) {
        if (!Files.isRegularFile(dir.resolve("tokenizer.json")))
            throw new IllegalArgumentException(dir + ": Jlama needs a tokenizer.json in the model directory");
        if (threadsInUse == 0) {
            PhysicalCoreExecutor.overrideThreadCount(threads);
            threadsInUse = threads;
        }
        String oobCheck = System.getProperty(EngineBench.VECTOR_OOB_CHECK);
        FloatVector.fromArray(
                FloatVector.SPECIES_PREFERRED,
                new float[FloatVector.SPECIES_PREFERRED.length()],
                0); // fixes the setting
        try {
            AbstractModel m = ModelSupport.loadModel(
                    dir.toFile(), null, DType.F32, DType.F32, Optional.empty(), Optional.empty());
            return new Jlama(m);
        } finally {
            if (oobCheck == null) System.clearProperty(EngineBench.VECTOR_OOB_CHECK);
            else System.setProperty(EngineBench.VECTOR_OOB_CHECK, oobCheck);
        }
    }

    /** The thread count Jlama's process-wide pool runs with (0 before the first load). */
    public static synchronized int threads() {
        return threadsInUse;
    }

    @Override
    public String name() {
        return "Jlama";
    }

    /** Raw logits (before softmax) at the last position of {@code prompt}. */
    public float[] lastLogits(int[] prompt) {
        try (KvBufferCache.KvBuffer kv = kvCache.getEphemeralKvBuffer();
                AbstractTensor logits = model.makeDenseTensor(vocab)) {
            prefill(prompt, kv, logits);
            float[] out = new float[vocab];
            for (int i = 0; i < vocab; i++) out[i] = logits.get(0, i);
            return out;
        }
    }

    /** {@code n} greedy tokens after {@code prompt}. */
    public int[] greedy(int[] prompt, int n) {
        int[] out = new int[n];
        try (KvBufferCache.KvBuffer kv = kvCache.getEphemeralKvBuffer();
                AbstractTensor logits = model.makeDenseTensor(vocab)) {
            out[0] = prefill(prompt, kv, logits);
            for (int i = 1; i < n; i++)
                out[i] = sampleNext(model.forward(out[i - 1], prompt.length + i - 1, kv, Optional.empty()), logits);
        }
        return out;
    }

    /** Seconds to prefill {@code prompt} (through the first token) and then to decode {@code decode} tokens greedily. */
    @Override
    public double[] time(int[] prompt, int decode) {
        try (KvBufferCache.KvBuffer kv = kvCache.getEphemeralKvBuffer();
                AbstractTensor logits = model.makeDenseTensor(vocab)) {
            long t0 = System.nanoTime();
            int next = prefill(prompt, kv, logits);
            long t1 = System.nanoTime();
            for (int i = 0; i < decode; i++)
                next = sampleNext(model.forward(next, prompt.length + i, kv, Optional.empty()), logits);
            long t2 = System.nanoTime();
            return new double[] {(t1 - t0) / 1e9, (t2 - t1) / 1e9};
        }
    }

    /** Prefills {@code prompt} from position 0 and returns the greedy next token; {@code logits} holds the raw logits. */
    private int prefill(int[] prompt, KvBufferCache.KvBuffer kv, AbstractTensor logits) {
        try (AbstractTensor hidden = model.batchForward(prompt, 0, kv)) {
            return model.sample(hidden.slice(hidden.shape().first() - 1), 0f, 0f, logits);
        }
    }

    /** Final norm + LM head of one position into {@code logits}; temperature 0 makes Jlama return the argmax. */
    private int sampleNext(AbstractTensor hidden, AbstractTensor logits) {
        try (hidden) {
            return model.sample(hidden, 0f, 0f, logits);
        }
    }

    @Override
    public void close() {
        kvCache.close();
        model.close();
    }
}
