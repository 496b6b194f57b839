package dev.veil.gateway;

import dev.veil.aloepri.AloePriKey;
import dev.veil.aloepri.KeyFile;
import dev.veil.aloepri.VocabPermutation;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * AloePri upstream: the untrusted server runs the obfuscated checkpoint, so the gateway only maps ids through the
 * secret vocabulary permutation τ — τ(prompt) and τ(stop ids) out, τ⁻¹(generated ids) back. The server never sees a
 * plaintext id or any text.
 *
 * <p>Sampling settings go to the server unchanged, and they are exact under τ: the penalties act on how often each id
 * occurs in the prompt and output, and min-p, top-k and top-p on the probabilities, none of which a relabelling of
 * the vocabulary changes (the obfuscated model's logit for τ(i) is the plain model's for i, up to AloePri's noise).
 * Greedy answers are therefore the plain model's; a seeded draw is τ of the plain one's only with top-k or top-p set,
 * since without them the engine walks the candidates in id order, which τ reorders (the same distribution, another
 * pick for a given seed).
 */
public final class AloePriBackend implements PrivateCompletionBackend {

    private final VocabPermutation tau;
    private final VllmClient upstream;

    public AloePriBackend(VocabPermutation tau, VllmClient upstream) {
        this.tau = tau;
        this.upstream = upstream;
    }

    /**
     * Reads the key file ({@code passphrase} null when it is not encrypted) and connects to the upstream server of the
     * given kind (vLLM's dialect, llama-server's, or whichever {@code /props} shows).
     */
    public static AloePriBackend open(
            Path keyFile,
            char[] passphrase,
            URI upstream,
            String upstreamModel,
            VllmClient.Timeouts timeouts,
            VllmClient.Kind kind)
            throws IOException, UpstreamException {
        AloePriKey key = KeyFile.read(keyFile, passphrase);
        return new AloePriBackend(key.permutation(), VllmClient.connect(upstream, upstreamModel, timeouts, kind));
    }

    /** The upstream's dialect ({@code vllm} or {@code llama-server}). */
    public String upstreamKind() {
        return upstream.dialect().name();
    }

    @Override
    public String mode() {
        return "aloepri";
    }

    @Override
    public int contextLength() {
        return upstream.contextLength();
    }

    /** Size of the permuted vocabulary: every plaintext id the tokenizer produces must be below it. */
    public int vocabSize() {
        return tau.size();
    }

    @Override
    public PrivateStream open(PrivateRequest r) throws UpstreamException {
        int[] sent = tau.obfuscate(r.promptIds());
        Set<Integer> stops = r.stopTokenIds().stream().map(tau::obfuscate).collect(Collectors.toSet());
        var params = new VllmClient.Params(r.maxTokens(), r.sampling(), r.seeded(), stops);
        VllmClient.TokenStream stream = upstream.stream(sent, params);
        return new PrivateStream() {
            private int[] received = new int[16];
            private int count;
            private Finish finish;

            @Override
            public int next() throws UpstreamException {
                if (finish != null) return -1;
                int id = stream.next();
                if (id < 0) {
                    finish = "length".equals(stream.finishReason()) ? Finish.LENGTH : Finish.STOP;
                    return -1;
                }
                if (id >= tau.size()) {
                    stream.close();
                    throw new UpstreamException(
                            502,
                            "the upstream returned token id " + id + ", outside the vocabulary [0, " + tau.size()
                                    + ")");
                }
                if (count == received.length) received = Arrays.copyOf(received, 2 * count);
                received[count++] = id;
                return tau.deobfuscate(id);
            }

            @Override
            public Finish finish() {
                return finish;
            }

            @Override
            public UntrustedView untrustedView() {
                return new UntrustedView("aloepri", sent, Arrays.copyOf(received, count), List.of());
            }

            @Override
            public void close() {
                stream.close();
            }
        };
    }

    @Override
    public void close() {
        upstream.close();
    }
}
