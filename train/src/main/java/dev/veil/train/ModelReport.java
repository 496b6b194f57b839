package dev.veil.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veil.engine.GenerationOptions;
import dev.veil.engine.Generator;
import dev.veil.engine.SamplingParams;
import dev.veil.engine.backend.LocalLinearBackend;
import dev.veil.engine.kernel.Parallel;
import dev.veil.model.ModelConfig;
import dev.veil.model.safetensors.SafetensorsWeights;
import dev.veil.tokenizer.Tokenizer;
import dev.veil.train.io.AtomicFiles;
import dev.veil.train.model.Transformer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * What a finished model is measured by, computed from the exported model directory (the weights as committed,
 * after rounding to the export dtype): perplexity on the held-out and out-of-domain splits next to add-k unigram
 * and bigram baselines over the same tokens, sample generations from Veil's engine, training throughput.
 */
public record ModelReport(
        long parameters,
        long safetensorsBytes,
        Splits tokens,
        Ppl heldout,
        Ppl outOfDomain,
        List<Sample> samples,
        Throughput throughput,
        int steps,
        double finalTrainLoss) {

    /** Token counts of the splits (document-start tokens included). */
    public record Splits(long train, long heldout, long outOfDomain) {}

    /** Perplexities of one split; {@code k} is the smoothing constant that served each baseline best. */
    public record Ppl(double model, double unigram, double unigramK, double bigram, double bigramK) {
        public double modelOverUnigram() {
            return model / unigram;
        }

        public double modelOverBigram() {
            return model / bigram;
        }
    }

    public record Sample(String prompt, String continuation, String how) {}

    public record Throughput(
            double tokensPerSecond, double flopsPerToken, long tokens, double seconds, int threads, String cpu) {
        public double gflops() {
            return tokensPerSecond * flopsPerToken / 1e9;
        }
    }

    static final double[] SMOOTHING = {1, 0.1, 0.01, 0.001};
    static final List<String> PROMPTS = List.of(
            "Fellow-Citizens of the Senate and House of Representatives:",
            "The state of the Union is",
            "Our country must",
            "A computer is");

    /** @param steps the training steps the weights in {@code dir} had (the config's, or a checkpoint's before the end) */
    public static ModelReport compute(
            Path dir,
            CorpusTokens train,
            CorpusTokens heldout,
            CorpusTokens ood,
            TrainConfig cfg,
            TrainingLog log,
            int steps)
            throws IOException {
        ModelConfig config = ModelConfig.read(dir);
        Tokenizer tok = Tokenizer.load(dir);
        NgramBaseline ngram = new NgramBaseline(train, config.vocabSize());
        int seq = cfg.training().seqLen(), batch = cfg.training().batchSize();
        Ppl held, out;
        long params;
        try (SafetensorsWeights w = SafetensorsWeights.open(dir)) {
            Transformer exported = Transformer.fromWeights(config, w);
            params = exported.parameterCount();
            held = ppl(Evaluation.run(exported, heldout, seq, batch), ngram, heldout);
            out = ppl(Evaluation.run(exported, ood, seq, batch), ngram, ood);
        }
        List<Sample> samples = samples(dir, config, tok);
        double flops = Flops.trainingPerToken(config, seq);
        Throughput tp = new Throughput(
                log.totalTokens() / Math.max(1e-9, log.totalSeconds()),
                flops,
                log.totalTokens(),
                log.totalSeconds(),
                Parallel.shared().threads(),
                cpuName());
        List<double[]> curve = log.trainCurve();
        return new ModelReport(
                params,
                Files.size(dir.resolve("model.safetensors")),
                new Splits(train.size(), heldout.size(), ood.size()),
                held,
                out,
                samples,
                tp,
                steps,
                curve.isEmpty() ? Double.NaN : curve.getLast()[1]);
    }

    private static Ppl ppl(Evaluation.Result model, NgramBaseline ngram, CorpusTokens s) {
        double bestU = Double.MAX_VALUE, bestUk = 0, bestB = Double.MAX_VALUE, bestBk = 0;
        for (double k : SMOOTHING) {
            double u = ngram.unigramCrossEntropy(s, k), b = ngram.bigramCrossEntropy(s, k);
            if (u < bestU) {
                bestU = u;
                bestUk = k;
            }
            if (b < bestB) {
                bestB = b;
                bestBk = k;
            }
        }
        return new Ppl(model.perplexity(), Math.exp(bestU), bestUk, Math.exp(bestB), bestBk);
    }

    /** Greedy continuations of fixed prompts and one sampled text, from Veil's inference engine on the exported files. */
    private static List<Sample> samples(Path dir, ModelConfig config, Tokenizer tok) throws IOException {
        int bos = config.bosTokenId();
        Set<Integer> stop = Set.copyOf(config.eosTokenIds());
        List<Sample> out = new ArrayList<>();
        try (SafetensorsWeights w = SafetensorsWeights.open(dir);
                LocalLinearBackend backend = new LocalLinearBackend(config, w, Parallel.shared())) {
            Generator gen = new Generator(new dev.veil.engine.Transformer(backend));
            int context = config.maxPositionEmbeddings();
            for (String p : PROMPTS) {
                int[] ids = prepend(bos, tok.encode(p, false, false));
                if (ids.length + 8 > context) continue; // a tiny test model's context
                int n = Math.min(48, context - ids.length);
                int[] cont = gen.generate(ids, new GenerationOptions(n, SamplingParams.GREEDY, stop))
                        .outputIds();
                out.add(new Sample(p, tok.decode(cont, true), "greedy, " + n + " tokens"));
            }
            int n = Math.min(96, context - 1);
            int[] cont = gen.generate(new int[] {bos}, new GenerationOptions(n, new SamplingParams(0.8, 0, 1, 1), stop))
                    .outputIds();
            out.add(new Sample(
                    "",
                    tok.decode(cont, true),
                    "sampled from the document-start token, temperature 0.8, seed 1, " + n + " tokens"));
        }
        return out;
    }

    private static int[] prepend(int first, int[] rest) {
        int[] a = new int[rest.length + 1];
        a[0] = first;
        System.arraycopy(rest, 0, a, 1, rest.length);
        return a;
    }

    private static String cpuName() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo")))
                if (line.startsWith("model name"))
                    return line.substring(line.indexOf(':') + 1).strip();
        } catch (IOException | RuntimeException e) {
            // not Linux: fall through
        }
        return System.getProperty("os.arch");
    }

    /** The numbers as {@code metrics.json}, for scripts and other modules. */
    public void writeJson(Path file) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode n = json.valueToTree(this);
        AtomicFiles.write(
                file,
                tmp -> Files.writeString(
                        tmp, json.writerWithDefaultPrettyPrinter().writeValueAsString(n)));
    }
}
