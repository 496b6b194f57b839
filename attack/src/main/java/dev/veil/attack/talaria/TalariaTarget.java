package dev.veil.attack.talaria;

import dev.veil.attack.Progress;
import dev.veil.attack.capture.Capture;
import dev.veil.attack.capture.Mode;
import dev.veil.attack.capture.Request;
import dev.veil.attack.capture.Rows;
import dev.veil.attack.math.RowMajor;
import dev.veil.attack.metrics.Guesses;
import dev.veil.engine.backend.LocalLinearBackend;
import dev.veil.engine.kernel.Parallel;
import dev.veil.model.ModelConfig;
import dev.veil.model.Weights;
import dev.veil.talaria.protocol.MaskSpec;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.stream.IntStream;

/**
 * What a Talaria cloud attacker has: the capture of its traffic and the public weights (the cloud's own), plus the
 * deployment's public settings (mask kind, scale, refresh policy — knobs, not secrets).
 */
public final class TalariaTarget {

    /** The first decoder layer's QKV input: the token's embedding, RMS-normalised (γ is folded into the cloud's W). */
    public static final String FIRST_LAYER = "layer.0.qkv";

    private final Capture capture;
    private final ModelConfig config;
    private final Weights weights;
    private LocalLinearBackend plain;
    private float[] firstLayerCandidates;

    public TalariaTarget(Capture capture, ModelConfig config, Weights weights) {
        if (capture.mode() != Mode.TALARIA)
            throw new IllegalArgumentException("a Talaria attack needs a Talaria capture, got " + capture.mode());
        this.capture = capture;
        this.config = config;
        this.weights = weights;
    }

    public Capture capture() {
        return capture;
    }

    public ModelConfig config() {
        return config;
    }

    public Weights weights() {
        return weights;
    }

    public List<Request> requests() {
        return capture.requests();
    }

    public int vocab() {
        return config.vocabSize();
    }

    /** The public model on the engine: what the attacker simulates with. */
    public synchronized LocalLinearBackend plain() {
        if (plain == null) plain = new LocalLinearBackend(config, weights, Parallel.shared());
        return plain;
    }

    /** Every vocabulary entry as a first-layer row would carry it: E[v] RMS-normalised, {@code [V × d]}. */
    public synchronized float[] firstLayerCandidates() {
        if (firstLayerCandidates == null) {
            int d = config.hiddenSize(), v = config.vocabSize();
            float[] e = new float[v * d];
            int[] ids = IntStream.range(0, v).toArray();
            plain().embed(ids, e);
            firstLayerCandidates = RowMajor.rmsNormalised(e, d);
        }
        return firstLayerCandidates;
    }

    /** The hidden-state mask the deployment used ({@code none}, {@code remo:r}, {@code pool:N} or {@code reused}). */
    public String hiddenMask() {
        return capture.setting().getOrDefault("mask", "none");
    }

    /** ReMO's m for a product of input width {@code in}, or 0 when the hidden mask is not ReMO. */
    public int remoRank(int in) {
        String m = hiddenMask();
        return m.startsWith("remo") ? MaskSpec.parse(m).rankFor(in) : 0;
    }

    public double maskScale() {
        return Double.parseDouble(capture.setting().getOrDefault("mask_scale", "1"));
    }

    /** The one-hot rows' mask ({@code none}, {@code remo:r} or {@code pool:N}). */
    public String embedMask() {
        return capture.setting().getOrDefault("embed_mask", hiddenMask());
    }

    /** The one-hot rows' mask rms per coordinate (absolute). */
    public double embedScale() {
        return Double.parseDouble(capture.setting().getOrDefault("embed_scale", "1"));
    }

    /** True when the deployment sets up new masks for every request (the attacker then treats requests apart). */
    public boolean refreshPerRequest() {
        return "request".equals(capture.setting().get("refresh"));
    }

    /**
     * The requests whose rows share one mask, as an attacker pools them: each request alone when the deployment
     * refreshes per request (the cloud links a request's calls by connection and timing), else the whole capture.
     */
    public List<List<Request>> maskGroups() {
        return refreshPerRequest() ? requests().stream().map(List::of).toList() : List.of(requests());
    }

    /**
     * The loop of every attack on this capture: {@code guess} of each request, in order, {@code progress} told after
     * each ({@link TalariaAttack#attack}'s contract).
     */
    public List<Guesses> eachRequest(Progress progress, Function<Request, Guesses> guess) {
        return each(List.of(requests()), progress, all -> guess);
    }

    /**
     * As {@link #eachRequest}, for an attack that pools the rows under one mask: {@code perGroup} makes a group's
     * guesser from all of its requests ({@link #maskGroups}) before any of them is guessed.
     */
    public List<Guesses> eachRequestByMaskGroup(
            Progress progress, Function<List<Request>, Function<Request, Guesses>> perGroup) {
        return each(maskGroups(), progress, perGroup);
    }

    private static List<Guesses> each(
            List<List<Request>> groups,
            Progress progress,
            Function<List<Request>, Function<Request, Guesses>> perGroup) {
        List<Guesses> out = new ArrayList<>();
        for (List<Request> group : groups) {
            Function<Request, Guesses> guess = perGroup.apply(group);
            for (Request r : group) {
                out.add(guess.apply(r));
                progress.step();
            }
        }
        return out;
    }

    /** The first-layer rows of every request in {@code group}, one after the other. */
    public float[] firstLayerRows(List<Request> group) {
        List<float[]> parts = group.stream().map(r -> in(r, FIRST_LAYER).data()).toList();
        FloatBuffer all =
                FloatBuffer.allocate(parts.stream().mapToInt(p -> p.length).sum());
        parts.forEach(all::put);
        return all.array();
    }

    /** The rows of {@code in/<product>} of request {@code r}. */
    public Rows in(Request r, String product) {
        return r.in(product);
    }
}
