package dev.veil.attack.capture;

import dev.veil.engine.Generation;
import dev.veil.engine.GenerationOptions;
import dev.veil.engine.Generator;
import dev.veil.engine.SamplingParams;
import dev.veil.engine.StopCondition;
import dev.veil.engine.TokenListener;
import dev.veil.engine.Transformer;
import dev.veil.engine.backend.LocalLinearBackend;
import dev.veil.engine.kernel.Parallel;
import dev.veil.model.ModelConfig;
import dev.veil.model.Weights;
import dev.veil.talaria.authority.SetupAuthority;
import dev.veil.talaria.authority.SetupServer;
import dev.veil.talaria.client.CloudConnection;
import dev.veil.talaria.client.HttpSetupService;
import dev.veil.talaria.client.MaskedRemoteBackend;
import dev.veil.talaria.client.TalariaOptions;
import dev.veil.talaria.client.TalariaRuntime;
import dev.veil.talaria.cloud.CloudServer;
import dev.veil.talaria.cloud.FoldedModel;
import dev.veil.talaria.protocol.MaskPrg;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Runs a Talaria deployment end to end on loopback — the weight service, the setup authority and the client runtime,
 * each the real one — with a recorder at the cloud's door and one at the authority's, and returns what they saw
 * together with the plaintext. Greedy generation, so the run also checks that every output equals the plain
 * engine's (Talaria's accuracy cost is none).
 */
public final class TalariaRun {

    /** The client a run uses: Veil's masked runtime with some options, or the reused-mask strawman. */
    public sealed interface Client {
        Map<String, String> setting();
    }

    /** Veil's Talaria runtime with {@code options}. */
    public record Veil(TalariaOptions options) implements Client {
        @Override
        public Map<String, String> setting() {
            Map<String, String> s = new LinkedHashMap<>();
            s.put("client", "veil");
            s.put("mask", options.hidden().toString());
            s.put("embed_mask", options.embed().toString());
            s.put("mask_scale", Double.toString(options.maskScale()));
            s.put("embed_scale", Double.toString(options.embedScale()));
            s.put("refresh", options.refresh().name().toLowerCase(Locale.ROOT));
            s.put("check_vectors", Integer.toString(options.checkVectors()));
            return s;
        }
    }

    /** {@link ReusedMaskClient}: one fixed additive mask of rms {@code scale} per product. */
    public record ReusedMask(double scale) implements Client {
        @Override
        public Map<String, String> setting() {
            return Map.of(
                    "client",
                    "reused-mask",
                    "mask",
                    "reused",
                    "mask_scale",
                    Double.toString(scale),
                    "embed_mask",
                    "none");
        }
    }

    /** @param matchingPlain requests whose output equals the plain engine's greedy output */
    public record Result(Capture capture, Truth truth, int matchingPlain) {}

    private TalariaRun() {}

    /**
     * Runs {@code prompts} (greedy, {@code maxTokens} each) through a deployment of {@code weights}.
     *
     * @param model the public weights' path, recorded in the capture
     * @param keep  which row keys the cloud-side recorder keeps ({@code in/embed}, {@code in/layer.0.qkv}, ...)
     * @param tick  called after each request
     */
    public static Result run(
            ModelConfig config,
            Weights weights,
            Path model,
            Client client,
            List<int[]> prompts,
            int maxTokens,
            Predicate<String> keep,
            Runnable tick)
            throws IOException {
        LocalLinearBackend plain = new LocalLinearBackend(config, weights, Parallel.shared());
        GenerationOptions greedy = new GenerationOptions(maxTokens, SamplingParams.GREEDY, Set.of());
        List<Request> requests = new ArrayList<>();
        List<Truth.RequestTruth> truth = new ArrayList<>();
        int matching = 0;
        try (CloudServer cloud = CloudServer.start(FoldedModel.fold(config, weights), CloudServer.Options.loopback(0));
                SetupServer setup =
                        SetupServer.start(new SetupAuthority(FoldedModel.fold(config, weights)), "127.0.0.1", 0);
                RecordingCloudProxy proxy = new RecordingCloudProxy(cloud.uri(), keep);
                RecordingSetupService setups = new RecordingSetupService(new HttpSetupService(setup.uri()))) {
            CloudConnection connection = new CloudConnection(proxy.uri(), CloudConnection.Retry.DEFAULT);
            TalariaRuntime runtime = null;
            Generator strawman = null;
            if (client instanceof Veil v)
                runtime = new TalariaRuntime(new MaskedRemoteBackend(
                        connection,
                        setups,
                        v.options(),
                        // a fixed client entropy stream makes an audit run reproducible; the attacks never see it
                        MaskPrg.derive(new byte[MaskPrg.SEED_BYTES], "veil-audit-run")));
            else if (client instanceof ReusedMask r)
                strawman = new Generator(new Transformer(new ReusedMaskClient(connection, plain, r.scale(), 1)));
            proxy.take(-1); // drop the calls made while connecting
            for (int i = 0; i < prompts.size(); i++) {
                int[] prompt = prompts.get(i);
                setups.beginRequest(i);
                Generation g = runtime != null
                        ? runtime.generate(prompt, greedy, TokenListener.NONE, StopCondition.NEVER)
                        : strawman.generate(prompt, greedy);
                requests.add(proxy.take(i));
                truth.add(new Truth.RequestTruth(prompt, g.outputIds()));
                if (Arrays.equals(
                        g.outputIds(),
                        new Generator(new Transformer(plain))
                                .generate(prompt, greedy)
                                .outputIds())) matching++;
                tick.run();
            }
            if (runtime != null) runtime.close();
            else connection.close();
            // the setting as the client applied it: a scale derived from the model's depth is public, so it is recorded
            // resolved
            Client applied = client instanceof Veil v ? new Veil(v.options().resolve(config)) : client;
            Capture capture = new Capture(Mode.TALARIA, model, model, applied.setting(), requests, setups.seen());
            return new Result(capture, new Truth(truth, new int[0]), matching);
        }
    }

    /** Keeps every row. */
    public static Predicate<String> all() {
        return k -> true;
    }
}
