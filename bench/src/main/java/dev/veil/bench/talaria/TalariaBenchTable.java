package dev.veil.bench.talaria;

import dev.veil.bench.BenchTable;
import java.util.Locale;

/** The readable form of a Talaria benchmark report. */
final class TalariaBenchTable {

    private TalariaBenchTable() {}

    static String markdown(TalariaBench.Report r) {
        StringBuilder sb = BenchTable.opening("Talaria vs the local plain engine " + r.date(), r.commandLine());
        sb.append(r.machine().markdown("", true));
        sb.append(String.format(
                Locale.ROOT,
                "- model: %s (%s, d = %d, L = %d, d_ff = %d, V = %d)%n",
                r.model(),
                r.architecture(),
                r.hiddenSize(),
                r.layers(),
                r.intermediateSize(),
                r.vocabSize()));
        sb.append(String.format(
                Locale.ROOT,
                "- %d-token prompt, %d greedy tokens; median of %d runs after a warm-up; cloud and setup "
                        + "authority on loopback in the same process; every Talaria output checked equal to the plain engine's%n",
                r.promptTokens(),
                r.generatedTokens(),
                r.repetitions()));
        sb.append(String.format(Locale.ROOT, "- target: TPOT ≤ %.1f × the local plain engine%n%n", r.tpotTarget()));
        sb.append(
                "| setting | TTFT ms | TTFT × local | TPOT ms | TPOT × local | target met | bytes / token | round trips / token "
                        + "| setup bytes / request | setup ms / request | waiting for the cloud | of which in the cloud's handler | output identical |\n");
        sb.append("|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---|\n");
        boolean first = true;
        for (TalariaBench.Result x : r.results()) {
            sb.append(String.format(
                    Locale.ROOT,
                    "| %s | %.1f | %.2f | %.3f | %.2f | %s | %s | %s | %s | %s | %s | %s | %s |%n",
                    x.setting(),
                    x.ttftMs(),
                    x.ttftRatio(),
                    x.tpotMs(),
                    x.tpotRatio(),
                    first ? "–" : x.tpotRatio() <= r.tpotTarget() ? "yes" : "no",
                    first ? "–" : String.format(Locale.ROOT, "%.0f", x.bytesPerToken()),
                    first ? "–" : String.format(Locale.ROOT, "%.1f", x.roundTripsPerToken()),
                    first ? "–" : String.format(Locale.ROOT, "%.0f", x.setupBytesPerRequest()),
                    first ? "–" : String.format(Locale.ROOT, "%.0f", x.setupMsPerRequest()),
                    first ? "–" : String.format(Locale.ROOT, "%.0f %%", 100 * x.waitShare()),
                    first ? "–" : String.format(Locale.ROOT, "%.0f %%", 100 * x.cloudHandlerShare()),
                    first ? "–" : x.identical() ? "yes" : "no"));
            first = false;
        }
        sb.append(
                "\nPer token: the passes after the first token (one row each); bytes are request plus reply bodies (HTTP headers "
                        + "not counted). Waiting: the client's time blocked on the cloud's replies, as a share of the decode wall time; the "
                        + "cloud's handler share is its time from request head read to reply written, the rest of the wait is the transport "
                        + "(kernel, loopback, thread wake-ups). Setup bytes: bundles received from the setup authority per request; setup ms: "
                        + "the authority's round trips for them (prepared in the background, off the request's path).\n");
        if (!r.coldStarts().isEmpty()) {
            sb.append("\n## Cold start: a fresh client's first request\n\n");
            sb.append(
                    "A new client runtime (new connections, its first setup on the request's path: nothing prepared) against "
                            + "the running cloud and authority, from the call to the first token, after the measured rounds (so in a process "
                            + "whose code is compiled and which holds the embedding table already, as a gateway's later users find it); "
                            + "then a new local engine's first request over the opened weights. A fresh process adds the JVM's start, "
                            + "compilation and the table's fetch: scripts/talaria-cold-start.sh measures that.\n\n");
            sb.append(
                    "| setting | cold TTFT ms | local cold TTFT ms | × local | setup bytes | output identical |\n|---|---:|---:|---:|---:|---|\n");
            for (TalariaBench.ColdStart c : r.coldStarts())
                sb.append(String.format(
                        Locale.ROOT,
                        "| %s | %.1f | %.1f | %.2f | %.0f | %s |%n",
                        c.setting(),
                        c.ttftMs(),
                        c.localTtftMs(),
                        c.ratio(),
                        c.setupBytes(),
                        c.identical() ? "yes" : "no"));
        }
        return sb.toString();
    }
}
