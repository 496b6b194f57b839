package dev.veil.train;

import dev.veil.train.model.Parameter;
import dev.veil.train.model.Transformer;
import dev.veil.train.nn.FloatPool;
import dev.veil.train.nn.Tape;
import dev.veil.train.nn.Var;
import dev.veil.train.optim.AdamW;
import dev.veil.train.optim.GradientClipping;
import dev.veil.train.optim.LrSchedule;
import java.util.List;

/**
 * One optimisation step at a time: sample the step's batch, forward, backward, clip, AdamW at the scheduled
 * learning rate. Everything is a function of (seed, step, weights, optimizer state), so a run resumed from a
 * checkpoint continues bit-identically.
 */
public final class Trainer {
    private final Transformer model;
    private final List<Parameter> params;
    private final AdamW optimizer;
    private final TrainConfig.TrainingSettings settings;
    private final LrSchedule schedule;
    private final long seed;
    private final CorpusTokens data;
    private final FloatPool pool = new FloatPool();
    private int step;

    public record StepResult(int step, double loss, double lr, double gradNorm, int tokens) {}

    public Trainer(Transformer model, TrainConfig.TrainingSettings settings, long seed, CorpusTokens data) {
        this.model = model;
        this.params = List.copyOf(model.parameters());
        this.settings = settings;
        this.schedule = settings.schedule();
        this.optimizer = new AdamW(params, settings.adam());
        this.seed = seed;
        this.data = data;
    }

    public Transformer model() {
        return model;
    }

    public AdamW optimizer() {
        return optimizer;
    }

    /** The step {@link #step()} will run next (0-based). */
    public int nextStep() {
        return step;
    }

    /** Continues from a checkpoint whose weights and optimizer state were restored into this trainer. */
    public void resumeAt(int step) {
        this.step = step;
    }

    public boolean done() {
        return step >= settings.steps();
    }

    public StepResult step() {
        CorpusTokens.Batch b = data.sample(seed, step, settings.batchSize(), settings.seqLen());
        for (Parameter p : params) p.zeroGrad();
        pool.reclaim(); // the previous step's activations: nothing reads them any more
        Tape tape = new Tape(pool);
        Var loss = model.loss(tape, b.inputs(), b.targets(), b.batch(), b.seq());
        tape.backward(loss);
        double norm = GradientClipping.clip(params, settings.gradClip());
        double lr = schedule.at(step);
        optimizer.step(lr);
        return new StepResult(step++, loss.item(), lr, norm, b.inputs().length);
    }
}
