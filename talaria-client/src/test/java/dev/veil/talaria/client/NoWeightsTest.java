package dev.veil.talaria.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.talaria.cloud.FoldedModel;
import java.io.IOException;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.constantpool.ClassEntry;
import java.lang.classfile.constantpool.PoolEntry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The client runtime holds no weight tensor. The pom's enforcer rule keeps talaria-cloud (the weight holder) off the
 * client's compile and runtime classpath; this test reads the client's compiled classes and fails if any of them
 * refers to a class that loads or holds weights: the Weights interface, tensors, the safetensors and GGUF readers,
 * ModelFiles, the engine's local backend and weight matrices, the cloud.
 */
class NoWeightsTest {

    static final List<String> BANNED = List.of(
            "dev/veil/model/Weights",
            "dev/veil/model/Tensor",
            "dev/veil/model/ModelFiles",
            "dev/veil/model/TensorSink",
            "dev/veil/model/HfModelWriter",
            "dev/veil/model/safetensors/",
            "dev/veil/model/gguf/",
            "dev/veil/engine/backend/",
            "dev/veil/engine/kernel/Matrix",
            "dev/veil/talaria/cloud/");

    @Test
    void noClientClassRefersToAWeightHoldingClass() throws IOException {
        Path classes = Path.of(MaskedRemoteBackend.class
                .getProtectionDomain()
                .getCodeSource()
                .getLocation()
                .getPath());
        List<String> scanned = new ArrayList<>(), violations = new ArrayList<>();
        try (Stream<Path> files = Files.walk(classes)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".class")).toList()) {
                ClassModel cm = ClassFile.of().parse(f);
                scanned.add(cm.thisClass().asInternalName());
                for (PoolEntry e : cm.constantPool()) {
                    if (!(e instanceof ClassEntry ce)) continue;
                    String name = ce.asInternalName();
                    for (String banned : BANNED)
                        if (name.startsWith(banned))
                            violations.add(cm.thisClass().asInternalName() + " -> " + name);
                }
            }
        }
        assertThat(scanned)
                .contains("dev/veil/talaria/client/MaskedRemoteBackend", "dev/veil/talaria/client/ProductMasker");
        assertThat(violations)
                .as("client classes referring to weight-holding classes")
                .isEmpty();
    }

    @Test
    void theScanWouldSeeAViolation() throws IOException {
        // the scan is only worth something if it finds a reference where there is one: the cloud's classes have many
        // (read as a resource: the cloud is a directory of classes or a jar, depending on the Maven phase)
        byte[] bytes;
        try (var in = FoldedModel.class.getResourceAsStream("FoldedModel.class")) {
            bytes = in.readAllBytes();
        }
        ClassModel cm = ClassFile.of().parse(bytes);
        boolean refersToWeights = false;
        for (PoolEntry e : cm.constantPool())
            if (e instanceof ClassEntry ce && ce.asInternalName().equals("dev/veil/model/Weights"))
                refersToWeights = true;
        assertThat(refersToWeights).isTrue();
    }
}
