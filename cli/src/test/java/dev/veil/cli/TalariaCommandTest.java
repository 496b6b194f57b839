package dev.veil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.engine.GenerationOptions;
import dev.veil.engine.Generator;
import dev.veil.engine.SamplingParams;
import dev.veil.engine.Transformer;
import dev.veil.engine.backend.LocalLinearBackend;
import dev.veil.engine.kernel.Parallel;
import dev.veil.model.ModelConfig;
import dev.veil.model.Tensor;
import dev.veil.model.Weights;
import dev.veil.model.safetensors.SafetensorsWriter;
import dev.veil.talaria.authority.SetupAuthority;
import dev.veil.talaria.authority.SetupClients;
import dev.veil.talaria.authority.SetupServer;
import dev.veil.talaria.cloud.CloudServer;
import dev.veil.talaria.cloud.FoldedModel;
import dev.veil.talaria.cloud.TableServer;
import dev.veil.talaria.cloud.TinyModels;
import dev.veil.tokenizer.Tokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code veil talaria run} against a cloud and a setup authority on loopback: the answer is the plain model's. */
class TalariaCommandTest {

    /** Qwen2 shape over a 258-token byte-level vocabulary (256 bytes + 2 specials), so every id decodes. */
    static final ModelConfig CONFIG = ModelConfig.of(ModelConfig.Architecture.QWEN2, 258, 64, 160, 2, 4, 2, 16)
            .withNorm(1e-6, 1_000_000.0, null)
            .withTokens(256, true, true, -1, List.of(257));

    @Test
    void runAnswersWhatThePlainModelAnswers(@TempDir Path dir) throws Exception {
        Weights w = TinyModels.random(CONFIG, 77);
        List<Tensor> tensors = new ArrayList<>();
        for (String name : w.names()) tensors.add(w.get(name));
        CONFIG.write(dir);
        SafetensorsWriter.write(dir.resolve("model.safetensors"), tensors, Map.of("format", "pt"));
        Files.writeString(dir.resolve("tokenizer.json"), byteLevelTokenizer());
        Tokenizer tok = Tokenizer.load(dir);
        String prompt = "The state of the union";
        int[] ids = tok.encode(prompt, true, false);
        int[] expected = new Generator(new Transformer(new LocalLinearBackend(CONFIG, w, Parallel.shared())))
                .generate(ids, new GenerationOptions(10, SamplingParams.GREEDY, Set.of(257)))
                .outputIds();
        String expectedText = tok.decode(expected, true);

        FoldedModel folded = FoldedModel.fold(CONFIG, w);
        // the operator issues a token; the clients file gets its hash only
        CliRun issued = CliRun.run("talaria", "setup", "token", "--client", "me", "--row-budget", "unlimited");
        assertThat(issued.exit()).as(issued.err()).isZero();
        String token = issued.out().lines().findFirst().orElseThrow().replaceFirst(".*: ", "");
        String line = issued.out().lines().reduce((a, b) -> b).orElseThrow();
        assertThat(line).matches("me [0-9a-f]{64} unlimited").doesNotContain(token);
        Path clients = dir.resolve("clients");
        Files.writeString(clients, line + System.lineSeparator());

        CliRun noClients = CliRun.run("talaria", "setup", "--model", dir.toString());
        assertThat(noClients.exit()).isEqualTo(1);
        assertThat(noClients.err()).contains("--clients FILE is required");
        CliRun open = CliRun.run(
                "talaria",
                "setup",
                "--model",
                dir.toString(),
                "--clients",
                clients.toString(),
                "--host",
                "0.0.0.0",
                "--port",
                "0");
        assertThat(open.exit()).isEqualTo(1);
        assertThat(open.err()).contains("listens on 0.0.0.0 only with TLS");

        try (CloudServer cloud = CloudServer.start(folded, CloudServer.Options.loopback(0));
                SetupServer setup = SetupServer.start(
                        new SetupAuthority(folded),
                        SetupServer.Options.secure("127.0.0.1", 0, SetupClients.read(clients)))) {
            // every run names the cloud and the tokenizer; the setup authority, its token and the prompt as each case
            // needs
            String[] base = {"talaria", "run", "--cloud", cloud.uri().toString(), "--tokenizer", dir.toString()};
            String[] withSetup = join(base, "--setup", setup.uri().toString());
            String[] withToken = join(withSetup, "--setup-token", token);
            String[] ask = {"--prompt", prompt, "--max-tokens", "10"};
            CliRun r = CliRun.run(join(withToken, ask));
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(r.out()).isEqualTo(expectedText + System.lineSeparator());
            assertThat(r.err()).contains("round trips").contains("mask pool:");

            CliRun noToken = CliRun.run(join(withSetup, ask));
            assertThat(noToken.exit()).isEqualTo(1);
            assertThat(noToken.err()).contains("HTTP 401").contains("no bearer token");

            CliRun noSetup = CliRun.run(join(base, "--prompt", "x"));
            assertThat(noSetup.exit()).isEqualTo(1);
            assertThat(noSetup.err()).contains("--setup URL is required");

            CliRun badMask = CliRun.run(join(base, "--prompt", "x", "--mask", "remo:2"));
            assertThat(badMask.exit()).isEqualTo(1);
            assertThat(badMask.err()).contains("--mask: ReMO rank m/d must be in (0, 1)");

            CliRun plain =
                    CliRun.run(join(join(base, ask), "--mask", "none", "--embed-mask", "none", "--check-vectors", "0"));
            assertThat(plain.out()).isEqualTo(expectedText + System.lineSeparator());

            // given a table server, the embedding runs in the client by default, the (tied) LM head on request; a
            // simulated network delay changes nothing but the time
            try (TableServer tables = TableServer.start(CONFIG, w, "127.0.0.1", 0)) {
                String[] withTables =
                        join(join(withToken, ask), "--tables", tables.uri().toString());
                CliRun local = CliRun.run(join(withTables, "--net-delay-ms", "0.2"));
                assertThat(local.exit()).as(local.err()).isZero();
                assertThat(local.out()).isEqualTo(expectedText + System.lineSeparator());
                assertThat(local.err()).contains("embedding in the client, LM head by the cloud");
                CliRun head = CliRun.run(join(withTables, "--head", "auto"));
                assertThat(head.out()).isEqualTo(expectedText + System.lineSeparator());
                assertThat(head.err()).contains("embedding in the client, LM head in the client");
                assertThat(tables.served())
                        .as("one fetch per table server and process")
                        .isEqualTo(1);
            }
            CliRun noTables = CliRun.run(join(withSetup, "--prompt", "x", "--embed", "local"));
            assertThat(noTables.exit()).isEqualTo(1);
            assertThat(noTables.err()).contains("--embed local / --head local need --tables URL");
        }
    }

    private static String[] join(String[] head, String... tail) {
        String[] all = Arrays.copyOf(head, head.length + tail.length);
        System.arraycopy(tail, 0, all, head.length, tail.length);
        return all;
    }

    /** GPT-2's byte-level alphabet as a tokenizer.json: one token per byte, no merges, BOS/EOS specials at 256/257. */
    static String byteLevelTokenizer() {
        List<Integer> printable = new ArrayList<>();
        for (int b = '!'; b <= '~'; b++) printable.add(b);
        for (int b = 0xA1; b <= 0xAC; b++) printable.add(b);
        for (int b = 0xAE; b <= 0xFF; b++) printable.add(b);
        char[] chars = new char[256];
        int extra = 0;
        for (int b = 0; b < 256; b++) chars[b] = printable.contains(b) ? (char) b : (char) (256 + extra++);
        StringBuilder vocab = new StringBuilder();
        for (int b = 0; b < 256; b++) {
            if (b > 0) vocab.append(',');
            String c = chars[b] == '"' ? "\\\"" : chars[b] == '\\' ? "\\\\" : String.valueOf(chars[b]);
            vocab.append('"').append(c).append("\":").append(b);
        }
        return """
                {"version":"1.0","added_tokens":[
                 {"id":256,"content":"<|bos|>","single_word":false,"lstrip":false,"rstrip":false,"normalized":false,"special":true},
                 {"id":257,"content":"<|eos|>","single_word":false,"lstrip":false,"rstrip":false,"normalized":false,"special":true}],
                 "normalizer":null,
                 "pre_tokenizer":{"type":"ByteLevel","add_prefix_space":false,"trim_offsets":true,"use_regex":true},
                 "post_processor":{"type":"TemplateProcessing","single":[{"SpecialToken":{"id":"<|bos|>","type_id":0}},{"Sequence":{"id":"A","type_id":0}}],"pair":[],"special_tokens":{"<|bos|>":{"id":"<|bos|>","ids":[256],"tokens":["<|bos|>"]}}},
                 "decoder":{"type":"ByteLevel","add_prefix_space":true,"trim_offsets":true,"use_regex":true},
                 "model":{"type":"BPE","dropout":null,"unk_token":null,"continuing_subword_prefix":null,"end_of_word_suffix":null,"fuse_unk":false,"byte_fallback":false,"ignore_merges":false,
                  "vocab":{%s},"merges":[]}}
                """.formatted(vocab);
    }
}
