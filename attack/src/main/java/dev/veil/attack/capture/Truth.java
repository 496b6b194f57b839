package dev.veil.attack.capture;

import java.util.Arrays;
import java.util.List;

/**
 * The plaintext behind a capture, kept apart from it (its own file): only the audit's scoring reads it.
 *
 * @param requests per request, the plaintext prompt and generated ids
 * @param tau      AloePri: the secret vocabulary permutation (plain id → obfuscated id), for vocabulary-level scores;
 *                 empty for Talaria
 */
public record Truth(List<RequestTruth> requests, int[] tau) {

    public Truth {
        requests = List.copyOf(requests);
        tau = tau.clone();
    }

    public record RequestTruth(int[] prompt, int[] generated) {
        public RequestTruth {
            prompt = prompt.clone();
            generated = generated.clone();
        }

        /**
         * The tokens the forward passes ran, one per row of every per-layer product: the prompt, then every generated
         * token but the last (the last one sampled is never fed back).
         */
        public int[] processed() {
            int[] out = Arrays.copyOf(prompt, prompt.length + Math.max(0, generated.length - 1));
            System.arraycopy(generated, 0, out, prompt.length, Math.max(0, generated.length - 1));
            return out;
        }

        /** Prompt and generated ids: every token the server handled (AloePri's id streams). */
        public int[] all() {
            int[] out = Arrays.copyOf(prompt, prompt.length + generated.length);
            System.arraycopy(generated, 0, out, prompt.length, generated.length);
            return out;
        }
    }
}
