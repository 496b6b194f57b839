package dev.veil.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veil.aloepri.AloePriKey;
import dev.veil.aloepri.KeyFile;
import dev.veil.model.safetensors.SafetensorsWeights;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code veil key}: look into and check AloePri key files. */
@Command(
        name = "key",
        description = "Inspect or verify an AloePri secret key file.",
        subcommands = {KeyCommand.Inspect.class, KeyCommand.Verify.class})
public final class KeyCommand {

    @Command(
            name = "inspect",
            description = "Show a key file's parameters, model binding and (on request) the permutation.")
    static final class Inspect implements Callable<Integer> {
        @Mixin
        KeyArg key;

        @Option(names = "--json", description = "print JSON instead of text")
        boolean json;

        @Option(
                names = "--show-permutation",
                description =
                        "include the vocabulary permutation tau as a JSON array (tau[i] = obfuscated id of token i)")
        boolean showPermutation;

        @Override
        public Integer call() throws Exception {
            AloePriKey k = key.read();
            Path file = key.file;
            boolean encrypted = KeyFile.isEncrypted(file);
            String perms = permissions(file);
            ObjectMapper mapper = new ObjectMapper();
            if (json) {
                ObjectNode n = mapper.createObjectNode();
                n.put("file", file.toString());
                n.put("format", KeyFile.FORMAT);
                n.put("version", KeyFile.VERSION);
                n.put("encrypted", encrypted);
                n.put("permissions", perms);
                // the key as the file holds it, but for the special ids (a count here) and the permutation (on request)
                n.setAll(KeyFile.toJson(k));
                n.put("fixed_tokens", k.fixedTokens().size());
                if (!showPermutation) n.remove("permutation");
                System.out.println(mapper.writerWithDefaultPrettyPrinter().writeValueAsString(n));
                return 0;
            }
            var stats = Arrays.stream(k.kappa()).summaryStatistics();
            System.out.printf(
                    "AloePri key %s (%s v%d, %s, permissions %s)%n",
                    file, KeyFile.FORMAT, KeyFile.VERSION, encrypted ? "passphrase-encrypted" : "unencrypted", perms);
            System.out.printf(
                    "  model        %s, hidden %d -> %d, vocabulary %d (%d special ids fixed)%n",
                    k.architecture(),
                    k.hiddenSize(),
                    k.obfuscatedHiddenSize(),
                    k.vocabSize(),
                    k.fixedTokens().size());
            System.out.printf(
                    "  parameters   lambda %s, h %d, alpha_e %s, alpha_h %s, beta %d, gamma %s%n",
                    k.params().lambda(),
                    k.params().expansion(),
                    k.params().alphaE(),
                    k.params().alphaH(),
                    k.params().beta(),
                    k.params().gamma());
            System.out.printf(
                    "  kappa        %d norms, %.5f .. %.5f%n", k.kappa().length, stats.getMin(), stats.getMax());
            System.out.printf("  plain        sha256 %s%n", k.plainFingerprint());
            System.out.printf("  obfuscated   sha256 %s%n", k.obfuscatedFingerprint());
            System.out.printf("  created      %s%n", k.created());
            if (showPermutation)
                System.out.println(mapper.writeValueAsString(k.permutation().forward()));
            return 0;
        }
    }

    @Command(name = "verify", description = "Check that a model directory is the obfuscated (or plain) model of a key.")
    static final class Verify implements Callable<Integer> {
        @Mixin
        KeyArg key;

        @Option(
                names = "--model",
                required = true,
                paramLabel = "DIR",
                description = "obfuscated (or with --plain, plain) model directory")
        Path model;

        @Option(names = "--plain", description = "check the plain model the key was made from instead")
        boolean plain;

        @Override
        public Integer call() throws Exception {
            AloePriKey k = key.read();
            Path file = key.file;
            try (SafetensorsWeights w = SafetensorsWeights.open(model)) {
                if (plain) k.verifyPlainModel(w, model.toString());
                else k.verifyObfuscatedModel(w, model.toString());
            }
            System.out.printf("%s matches key %s%n", model, file);
            return 0;
        }
    }

    /** The KEYFILE argument and its passphrase options: what every {@code veil key} command reads. */
    static final class KeyArg {
        @Parameters(paramLabel = "KEYFILE")
        Path file;

        @Mixin
        Passphrases pass = new Passphrases();

        AloePriKey read() throws IOException {
            return KeyFile.read(file, pass.resolve());
        }
    }

    static String permissions(Path f) {
        try {
            return PosixFilePermissions.toString(Files.getPosixFilePermissions(f));
        } catch (Exception e) {
            return "n/a";
        }
    }
}
