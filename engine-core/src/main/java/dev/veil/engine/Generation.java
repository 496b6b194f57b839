package dev.veil.engine;

/**
 * What a {@link Generator} produced.
 *
 * @param outputIds every generated id, the one that stopped generation (EOS or stop condition) included
 */
public record Generation(int[] promptIds, int[] outputIds, FinishReason finishReason, Timings timings) {

    public enum FinishReason {
        /** An end-of-sequence id was generated. */
        EOS,
        /** The {@link StopCondition} said stop. */
        STOP_CONDITION,
        /** {@code maxTokens} were generated. */
        MAX_TOKENS,
        /** The context is full. */
        CONTEXT_FULL
    }

    /** Wall-clock time of the two phases; the first token's sampling counts as prefill. */
    public record Timings(int promptTokens, long prefillNanos, int generatedTokens, long decodeNanos) {

        public double prefillTokensPerSecond() {
            return prefillNanos == 0 ? 0 : promptTokens * 1e9 / prefillNanos;
        }

        /** Decode speed over the tokens after the first (each needed one forward step). */
        public double decodeTokensPerSecond() {
            return decodeNanos == 0 ? 0 : (generatedTokens - 1) * 1e9 / decodeNanos;
        }
    }
}
