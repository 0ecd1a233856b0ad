// Runs every CUDA kernel without a GPU: src/test/cuda-emu compiles src/main/cuda as host C++ on a
// small CUDA emulator (a block's threads run as fibers on one OS thread) and checks each kernel
// against a double-precision reference. Skipped where g++ (C++20) is not installed.
package io.strata.kernels.cuda;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class KernelEmulationTest {
    static Path moduleDir() {
        return Files.isDirectory(Path.of("src/test/cuda-emu")) ? Path.of(".")
                : Path.of(System.getProperty("strata.root", ".")).resolve("kernels-cuda");
    }

    static String run(List<String> cmd, Path dir, int timeoutS) throws Exception {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(timeoutS, TimeUnit.SECONDS), String.join(" ", cmd) + ": no exit within " + timeoutS + " s");
        String text = new String(out);
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + " failed:\n" + text);
        return text;
    }

    @Test
    void everyKernelMatchesItsReferenceOnTheHostEmulator() throws Exception {
        Path emu = moduleDir().resolve("src/test/cuda-emu").toAbsolutePath();
        Assumptions.assumeTrue(Files.isDirectory(emu), "emulator sources not found at " + emu);
        boolean gxx;
        try {
            gxx = new ProcessBuilder("g++", "--version").redirectErrorStream(true).start().waitFor() == 0;
        } catch (java.io.IOException e) {
            gxx = false;
        }
        Assumptions.assumeTrue(gxx, "g++ not installed: kernel emulation skipped");
        Path exe = moduleDir().resolve("target/cuda-emu/emu_test").toAbsolutePath();
        Files.createDirectories(exe.getParent());
        run(List.of("g++", "-std=c++20", "-O1", "-pthread", "-I.", "-include", "cuda_emu.h", "emu_test.cpp", "-o", exe.toString()), emu, 600);
        String out = run(List.of(exe.toString()), emu, 600);
        System.out.println(out.lines().filter(l -> !l.startsWith("ok")).reduce("", (a, b) -> a + b + "\n"));
        assertTrue(out.contains(" 0 failures"), out);
    }
}
