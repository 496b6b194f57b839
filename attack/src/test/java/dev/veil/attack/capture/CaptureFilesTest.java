package dev.veil.attack.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.aloepri.AloePriParams;
import dev.veil.attack.Fixtures;
import dev.veil.engine.GenerationOptions;
import dev.veil.engine.Generator;
import dev.veil.engine.SamplingParams;
import dev.veil.engine.Transformer;
import dev.veil.engine.backend.LocalLinearBackend;
import dev.veil.engine.kernel.Parallel;
import dev.veil.talaria.client.TalariaOptions;
import dev.veil.talaria.protocol.MaskSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CaptureFilesTest {

    static final Fixtures.Model M = Fixtures.qwen2();

    @Test
    void aTalariaCaptureHoldsEveryCallTheCloudAnsweredInOrderAndSurvivesARoundTrip(@TempDir Path dir)
            throws IOException {
        List<int[]> prompts = Fixtures.prompts(M.config(), 2, 5, 1);
        TalariaOptions remo =
                TalariaOptions.DEFAULT.withHidden(MaskSpec.remo(0.5)).withRefresh(TalariaOptions.Refresh.SESSION);
        TalariaRun.Result run = TalariaRun.run(
                M.config(),
                M.weights(),
                Path.of("model"),
                new TalariaRun.Veil(remo),
                prompts,
                3,
                TalariaRun.all(),
                () -> {});
        assertThat(run.matchingPlain()).isEqualTo(2);
        Request r = run.capture().requests().getFirst();
        // one forward pass: embed, 4 products per layer, LM head; the prompt pass has 5 rows, then 2 decode passes of 1
        List<Call> expected = new ArrayList<>();
        for (int rows : new int[] {5, 1, 1}) {
            expected.add(new Call("embed", rows));
            for (int l = 0; l < M.config().numLayers(); l++)
                for (String p : List.of("qkv", "o", "gate_up", "down"))
                    expected.add(new Call("layer." + l + "." + p, rows));
            expected.add(new Call("lm_head", 1));
        }
        assertThat(r.calls()).containsExactlyElementsOf(expected);
        assertThat(r.in("layer.0.qkv").rows()).isEqualTo(7);
        assertThat(r.in("embed").cols()).isEqualTo(M.config().vocabSize());
        assertThat(run.truth().requests().getFirst().processed()).hasSize(7);
        assertThat(run.capture().setups()).hasSize(1); // one session: ReMO's M_pub is set up once
        assertThat(run.capture().setting()).containsEntry("mask", "remo:0.5").containsEntry("refresh", "session");

        CaptureFiles.write(dir, run.capture(), run.truth());
        Capture back = CaptureFiles.read(dir);
        assertThat(back.mode()).isEqualTo(Mode.TALARIA);
        assertThat(back.setting()).isEqualTo(run.capture().setting());
        assertThat(back.requests()).hasSize(2);
        for (int i = 0; i < 2; i++) {
            Request a = run.capture().requests().get(i), b = back.requests().get(i);
            assertThat(b.calls()).isEqualTo(a.calls());
            assertThat(b.tensors().keySet()).isEqualTo(a.tensors().keySet());
            for (String k : a.tensors().keySet())
                assertThat(b.rows(k).data()).containsExactly(a.rows(k).data());
        }
        assertThat(back.setups().getFirst().seed())
                .containsExactly(run.capture().setups().getFirst().seed());
        Truth t = CaptureFiles.readTruth(dir.resolve(CaptureFiles.TRUTH));
        assertThat(t.requests().get(1).generated())
                .containsExactly(run.truth().requests().get(1).generated());
    }

    @Test
    void anAloePriCaptureHoldsTheObfuscatedIdStreamsAndTheInstrumentedServersStates() {
        Obfuscation obf = Obfuscation.of(
                M.config(),
                M.weights(),
                AloePriParams.defaults(M.config().hiddenSize()).exact(),
                Set.of(M.config().bosTokenId()),
                "capture-test",
                0,
                null);
        List<int[]> prompts = Fixtures.prompts(M.config(), 2, 6, 2);
        AloePriRun.Result run =
                AloePriRun.run(obf, Path.of("obf"), Path.of("plain"), prompts, 4, k -> k.equals("out/embed"), () -> {});
        Request r = run.capture().requests().getFirst();
        assertThat(r.idsIn()).containsExactly(obf.tau().obfuscate(prompts.getFirst()));
        assertThat(r.idsOut())
                .containsExactly(
                        obf.tau().obfuscate(run.truth().requests().getFirst().generated()));
        assertThat(r.tensors().keySet()).containsExactly("out/embed");
        assertThat(r.out("embed").cols()).isEqualTo(obf.config().hiddenSize());
        assertThat(r.out("embed").rows()).isEqualTo(6 + 3);
        assertThat(run.truth().tau()).containsExactly(obf.tau().forward());
        // exact transforms: the obfuscated model answers what the plain model answers
        int[] plain = new Generator(new Transformer(new LocalLinearBackend(M.config(), M.weights(), Parallel.shared())))
                .generate(prompts.getFirst(), new GenerationOptions(4, SamplingParams.GREEDY, Set.of()))
                .outputIds();
        assertThat(run.truth().requests().getFirst().generated()).hasSize(4);
        assertThat(run.capture().setting()).containsEntry("alpha_e", "0.0");
        assertThat(plain).hasSize(4);
    }

    @Test
    void badCapturesFailNamingTheFileAndTheProblem(@TempDir Path dir) throws IOException {
        assertThatThrownBy(() -> CaptureFiles.read(dir))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("capture.json: missing");
        Files.writeString(dir.resolve(CaptureFiles.MANIFEST), "{\"format\": \"other\"}");
        assertThatThrownBy(() -> CaptureFiles.read(dir)).hasMessageContaining("field 'format' must be 'veil-capture'");
        Files.writeString(
                dir.resolve(CaptureFiles.MANIFEST),
                "{\"format\": \"veil-capture\", \"version\": 1, \"mode\": \"tls\"}");
        assertThatThrownBy(() -> CaptureFiles.read(dir)).hasMessageContaining("field 'mode': unknown mode 'tls'");
        Files.writeString(
                dir.resolve(CaptureFiles.MANIFEST),
                "{\"format\": \"veil-capture\", \"version\": 1, \"mode\": \"talaria\","
                        + " \"model\": \"m\", \"public_model\": \"m\", \"requests\": [], \"setups\": []}");
        assertThatThrownBy(() -> CaptureFiles.read(dir)).hasMessageContaining("tensors.safetensors: missing");
        Files.writeString(dir.resolve(CaptureFiles.MANIFEST), "{not json");
        assertThatThrownBy(() -> CaptureFiles.read(dir)).hasMessageContaining("capture.json: not valid JSON");
        Files.writeString(
                dir.resolve(CaptureFiles.TRUTH),
                "{\"requests\": [{\"prompt\": [1, \"x\"], \"generated\": []}], \"tau\": []}");
        assertThatThrownBy(() -> CaptureFiles.readTruth(dir.resolve(CaptureFiles.TRUTH)))
                .hasMessageContaining("field 'prompt' holds a non-integer");
    }
}
