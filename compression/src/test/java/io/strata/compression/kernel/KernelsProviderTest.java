// The one kernel provider: -Dstrata.vector=false selects the scalar twins for every family, and says so.
package io.strata.compression.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class KernelsProviderTest {
    /** Prints the chosen kernels of this JVM: "dense-name quant-name | reason". */
    public static void main(String[] args) {
        System.out.println(Kernels.dense().name() + " " + Kernels.quant().name() + " | " + Kernels.reason());
    }

    private static String run(String... flags) throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> cmd = new java.util.ArrayList<>(List.of(java.toString()));
        cmd.addAll(List.of(flags));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), KernelsProviderTest.class.getName()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        String[] lines = out.strip().split("\n");
        return lines[lines.length - 1];
    }

    @Test
    void vectorFalseSelectsScalarEverywhere() throws Exception {
        String out = run("--add-modules", "jdk.incubator.vector", "-Dstrata.vector=false");
        assertEquals("scalar scalar | -Dstrata.vector=false", out);
    }

    @Test
    void withoutTheModuleBothFamiliesFallBackAndSayWhy() throws Exception {
        String out = run();
        assertTrue(out.startsWith("scalar scalar | jdk.incubator.vector not in the boot layer"), out);
    }

    @Test
    void theDefaultIsOneChoiceForBothFamilies() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Kernels.vectorQuantOrNull() != null, "narrow vectors: " + Kernels.reason());
        assertTrue(Kernels.dense().name().startsWith("vector-"), Kernels.reason());
        assertEquals(Kernels.dense().name(), Kernels.quant().name());
        assertTrue(Kernels.reason().startsWith("Vector API with "), Kernels.reason());
    }
}
