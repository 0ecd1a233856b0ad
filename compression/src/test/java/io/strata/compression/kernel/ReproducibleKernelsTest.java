// The same inputs give the same bits whatever the JIT's state: interpreter, C1 and warmed-up C2.
package io.strata.compression.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A reproducibility check of every reducing Vector API kernel: {@link KernelFingerprint} runs in a
 * fresh JVM with {@code -Xint} (interpreter only) and with {@code -XX:TieredStopAtLevel=1} (C1
 * only), and in this JVM after enough repetitions for C2 to compile the kernels with its
 * intrinsics; all three must agree bit for bit. Before the fixed-order lane sums
 * ({@link LaneSum}), {@code reduceLanes(ADD)} made the C2 results differ from the interpreter's.
 */
class ReproducibleKernelsTest {
    @Test
    void interpreterC1AndC2GiveTheSameBits() throws Exception {
        assumeTrue(Kernels.vectorQuantOrNull() != null, "Vector API kernels unavailable: " + Kernels.reason());
        KernelFingerprint fp = new KernelFingerprint();
        int[] first = fp.run();
        // Warm up until C2 has compiled the kernels: thousands of calls of every loop (bounded in time
        // so a loaded machine does not stall the suite; 1500 rounds are ~10^5 row loops per kernel).
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(8);
        int rounds = 0;
        while (rounds < 1500 && System.nanoTime() < end) {
            fp.run();
            rounds++;
        }
        int[] warm = fp.run();
        assertEquals(first.length, warm.length);
        assertArrayBits("first call vs after " + rounds + " warm-up rounds", first, warm);
        assertArrayBits("-Xint vs warmed up", child("-Xint"), warm);
        assertArrayBits("C1 only vs warmed up", child("-XX:TieredStopAtLevel=1"), warm);
    }

    private static void assertArrayBits(String what, int[] want, int[] got) {
        assertEquals(want.length, got.length, what + ": output count");
        int diff = 0, firstDiff = -1;
        for (int i = 0; i < want.length; i++) {
            if (want[i] != got[i]) {
                diff++;
                if (firstDiff < 0) firstDiff = i;
            }
        }
        assertTrue(diff == 0, what + ": " + diff + " of " + want.length + " outputs differ, first at " + firstDiff + ": "
                + (firstDiff < 0 ? "" : Float.intBitsToFloat(want[firstDiff]) + " vs " + Float.intBitsToFloat(got[firstDiff])));
    }

    /** Runs KernelFingerprint in a fresh JVM with one extra flag and parses its output. */
    private static int[] child(String flag) throws IOException, InterruptedException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> cmd = new ArrayList<>(List.of(java.toString(), flag, "--add-modules", "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), KernelFingerprint.class.getName()));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), flag + " JVM did not finish");
        assertEquals(0, p.exitValue(), flag + " JVM failed");
        String[] lines = out.strip().split("\n");
        int[] bits = new int[lines.length];
        for (int i = 0; i < lines.length; i++) bits[i] = Integer.parseInt(lines[i].strip());
        return bits;
    }
}
