package dev.veil.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veil.train.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The training curve: one entry per {@value #EVERY} steps (mean loss, learning rate, gradient norm, tokens and
 * seconds spent in those steps) and one per held-out evaluation. Saved in every checkpoint and as
 * {@code training_log.jsonl}.
 */
public final class TrainingLog {
    static final int EVERY = 10;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ArrayNode entries;
    private int pendingSteps, lastStep;
    private double pendingLoss, pendingNorm, lastLr;
    private long pendingTokens, pendingNanos;

    public TrainingLog() {
        this(JSON.createArrayNode());
    }

    public TrainingLog(ArrayNode entries) {
        this.entries = entries.deepCopy();
    }

    public void addStep(Trainer.StepResult r, long nanos) {
        pendingSteps++;
        pendingLoss += r.loss();
        pendingNorm += r.gradNorm();
        pendingTokens += r.tokens();
        pendingNanos += nanos;
        lastLr = r.lr();
        lastStep = r.step() + 1;
        if (pendingSteps == EVERY) flush();
    }

    /** Writes out the steps gathered since the last entry (before a checkpoint, so a resume loses none). */
    public void flush() {
        if (pendingSteps == 0) return;
        ObjectNode e = entries.addObject();
        e.put("step", lastStep);
        e.put("loss", pendingLoss / pendingSteps);
        e.put("lr", lastLr);
        e.put("grad_norm", pendingNorm / pendingSteps);
        e.put("tokens", pendingTokens);
        e.put("seconds", pendingNanos / 1e9);
        pendingSteps = 0;
        pendingLoss = pendingNorm = 0;
        pendingTokens = pendingNanos = 0;
    }

    public void addEval(int step, double heldoutLoss) {
        entries.addObject().put("step", step).put("heldout_loss", heldoutLoss);
    }

    /** The latest logged training loss (NaN before the first entry). */
    public double lastLoss() {
        for (int i = entries.size() - 1; i >= 0; i--)
            if (entries.get(i).has("loss")) return entries.get(i).get("loss").asDouble();
        return Double.NaN;
    }

    /** (step, mean training loss) per entry. */
    public List<double[]> trainCurve() {
        return curve("loss");
    }

    /** (step, held-out loss) per evaluation. */
    public List<double[]> evalCurve() {
        return curve("heldout_loss");
    }

    private List<double[]> curve(String field) {
        List<double[]> out = new ArrayList<>();
        for (JsonNode e : entries)
            if (e.has(field))
                out.add(new double[] {e.get("step").asDouble(), e.get(field).asDouble()});
        return out;
    }

    public long totalTokens() {
        long n = 0;
        for (JsonNode e : entries) n += e.path("tokens").asLong(0);
        return n;
    }

    /** Seconds spent in training steps (evaluations and checkpoints excluded). */
    public double totalSeconds() {
        double s = 0;
        for (JsonNode e : entries) s += e.path("seconds").asDouble(0);
        return s;
    }

    public ArrayNode json() {
        return entries.deepCopy();
    }

    public void write(Path file) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (JsonNode e : entries) sb.append(JSON.writeValueAsString(e)).append('\n');
        AtomicFiles.write(file, tmp -> Files.writeString(tmp, sb));
    }
}
