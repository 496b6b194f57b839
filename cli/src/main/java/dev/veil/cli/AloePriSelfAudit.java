package dev.veil.cli;

import dev.veil.aloepri.AloePriKey;
import dev.veil.attack.Progress;
import dev.veil.attack.aloepri.SelfAudit;
import dev.veil.attack.audit.AuditText;
import dev.veil.model.ModelFiles;
import dev.veil.model.VeilCache;
import dev.veil.tokenizer.Tokenizer;
import dev.veil.train.data.Document;
import dev.veil.train.data.Split;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The self-audit shared by {@code veil obfuscate --audit} and {@code veil audit --mode aloepri --obfuscated DIR --key KEY}:
 * the weight-only attacks on the owner's own checkpoint, scored on the SOTU held-out split, with a warning above the
 * threshold.
 */
final class AloePriSelfAudit {

    static final String DEFAULT_THRESHOLD = "0.05";
    static final int HELDOUT_TOKENS = 4096, PUBLIC_TOKENS = 20000;

    private AloePriSelfAudit() {}

    /** Runs the attacks and prints every row, the headline and, above {@code threshold}, a warning; returns the report. */
    static SelfAudit.Report run(Path publicModel, Path served, AloePriKey key, double threshold, PrintWriter out)
            throws Exception {
        if (!(threshold >= 0 && threshold <= 1))
            throw new IllegalArgumentException("--audit-threshold must be in [0, 1], got " + threshold);
        try (ModelFiles plain = ModelFiles.open(publicModel);
                ModelFiles obf = ModelFiles.open(served)) {
            if (key.permutation().size() != plain.config().vocabSize())
                throw new IllegalArgumentException(
                        "the key's vocabulary (" + key.permutation().size() + ") is not the model's ("
                                + plain.config().vocabSize() + ")");
            Tokenizer tok = Tokenizer.load(plain.tokenizerDir());
            int[] heldout = AuditText.tokens(tok, texts(Split.HELDOUT), HELDOUT_TOKENS);
            int[] pub = AuditText.tokens(tok, texts(Split.TRAIN), PUBLIC_TOKENS);
            out.printf(
                    Locale.ROOT,
                    "self-audit: weight-only attacks on %s against the public %s, scored on %d held-out SOTU tokens%n",
                    served,
                    publicModel,
                    heldout.length);
            out.flush();
            SelfAudit.Report r = SelfAudit.run(
                    plain.config(),
                    plain.weights(),
                    obf.config(),
                    obf.weights(),
                    key.permutation().forward(),
                    heldout,
                    pub,
                    Progress.NONE);
            for (SelfAudit.Row row : r.rows())
                out.printf(
                        Locale.ROOT,
                        "  %6.1f%% text  %6.1f%% vocab  %s%n",
                        100 * row.text(),
                        100 * row.vocab(),
                        row.attack());
            out.printf(Locale.ROOT, "self-audit (%.0f s): %s%n", r.seconds(), r.headline());
            if (r.strongest().text() > threshold)
                out.printf(
                        Locale.ROOT,
                        "WARNING: the strongest attack recovers %.1f%% of held-out text tokens, above the threshold of %.1f%% "
                                + "(--audit-threshold): an untrusted server reading this checkpoint learns much of what users send. "
                                + "Larger --alpha-down and --alpha-e lower it at an accuracy cost (aloepri/README.md, docs/results/aloepri/aloepri-frontier.md)%n",
                        100 * r.strongest().text(),
                        100 * threshold);
            else out.printf(Locale.ROOT, "self-audit: below the threshold of %.1f%%%n", 100 * threshold);
            out.flush();
            return r;
        }
    }

    private static List<String> texts(Split split) throws IOException {
        return split.read(VeilCache.dir()).stream().map(Document::text).toList();
    }
}
