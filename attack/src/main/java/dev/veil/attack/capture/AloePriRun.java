package dev.veil.attack.capture;

import dev.veil.engine.Generation;
import dev.veil.engine.GenerationOptions;
import dev.veil.engine.Generator;
import dev.veil.engine.SamplingParams;
import dev.veil.engine.Transformer;
import dev.veil.engine.backend.LocalLinearBackend;
import dev.veil.engine.kernel.Parallel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Runs an AloePri deployment: the client maps each prompt through τ, an instrumented server runs the obfuscated model
 * with Veil's unchanged engine (greedy) and records what it computes, the client maps the output back through τ⁻¹.
 * Returns the server's view (token-id streams, the kept internal states) and the plaintext.
 */
public final class AloePriRun {

    public record Result(Capture capture, Truth truth) {}

    private AloePriRun() {}

    /**
     * @param model       where the obfuscated checkpoint lives (recorded in the capture; may describe an in-memory model)
     * @param publicModel the public plain checkpoint the attacker is assumed to know
     * @param keep        which internal states the instrumented server keeps ({@code out/embed}, {@code in/layer.1.qkv}, ...)
     */
    public static Result run(
            Obfuscation served,
            Path model,
            Path publicModel,
            List<int[]> prompts,
            int maxTokens,
            Predicate<String> keep,
            Runnable tick) {
        RecordingBackend server = new RecordingBackend(
                new LocalLinearBackend(served.config(), served.weights(), Parallel.shared()), keep);
        Generator generator = new Generator(new Transformer(server));
        GenerationOptions greedy = new GenerationOptions(maxTokens, SamplingParams.GREEDY, Set.of());
        List<Request> requests = new ArrayList<>();
        List<Truth.RequestTruth> truth = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            int[] prompt = prompts.get(i);
            int[] sent = served.tau().obfuscate(prompt);
            Generation g = generator.generate(sent, greedy);
            requests.add(server.take(i, sent, g.outputIds()));
            truth.add(new Truth.RequestTruth(prompt, served.tau().deobfuscate(g.outputIds())));
            tick.run();
        }
        Capture capture = new Capture(Mode.ALOEPRI, model, publicModel, served.setting(), requests, List.of());
        return new Result(capture, new Truth(truth, served.tau().forward()));
    }
}
