// The checked-in fatbin must match the CUDA sources: a recorded SHA-256 of the sources sits beside
// it, and where nvcc built a fresh fatbin (target/cuda) the bytes must be identical. No GPU needed.
package io.strata.kernels.cuda;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class FatbinFreshnessTest {
    static final Path MODULE = Path.of(System.getProperty("strata.root", ".")).resolve("kernels-cuda");
    static final Path SOURCES = moduleDir().resolve("src/main/cuda");
    static final Path CHECKED_IN = moduleDir().resolve("src/main/resources/io/strata/kernels/cuda/strata.fatbin");

    static Path moduleDir() {
        // Surefire runs in the module directory; the console launcher may run from the repo root.
        return Files.isDirectory(Path.of("src/main/cuda")) ? Path.of(".") : MODULE;
    }

    /** Same definition as build.sh --hash: files sorted by name (byte order), each "name\n" + bytes. */
    static String sourceHash(Path dir) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(Files::isRegularFile)
                    .sorted((a, b) -> compareBytes(a.getFileName().toString(), b.getFileName().toString()))
                    .toList();
        }
        for (Path f : files) {
            md.update((f.getFileName().toString() + "\n").getBytes(StandardCharsets.UTF_8));
            md.update(Files.readAllBytes(f));
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static int compareBytes(String a, String b) {
        return java.util.Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void recordedSourceHashMatchesSources() throws Exception {
        Assumptions.assumeTrue(Files.isDirectory(SOURCES), "CUDA sources not found at " + SOURCES.toAbsolutePath());
        String recorded = Files.readString(CHECKED_IN.resolveSibling("strata.fatbin.sha256")).trim();
        String actual = sourceHash(SOURCES);
        assertEquals(recorded, actual, "strata.fatbin is stale: sources in " + SOURCES
                + " hash to " + actual + " but the fatbin was built from " + recorded
                + "; run kernels-cuda/src/main/cuda/build.sh --update and commit the fatbin");
    }

    @Test
    void jarResourceIsTheCheckedInFatbin() throws Exception {
        byte[] resource;
        try (InputStream in = CudaContext.class.getResourceAsStream(CudaContext.FATBIN_RESOURCE)) {
            assertNotNull(in, "resource " + CudaContext.FATBIN_RESOURCE + " missing");
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            in.transferTo(b);
            resource = b.toByteArray();
        }
        // A fatbin starts with the fatbin wrapper magic 0xBA55ED50 (little endian).
        assertTrue(resource.length > 16, "fatbin too small: " + resource.length + " bytes");
        int magic = (resource[0] & 0xFF) | (resource[1] & 0xFF) << 8 | (resource[2] & 0xFF) << 16 | (resource[3] & 0xFF) << 24;
        assertEquals(0xBA55ED50, magic, "fatbin magic");
        Assumptions.assumeTrue(Files.exists(CHECKED_IN), "checked-in fatbin not on disk here");
        assertArrayEquals(Files.readAllBytes(CHECKED_IN), resource, "classpath fatbin differs from " + CHECKED_IN);
    }

    @Test
    void freshNvccBuildIsByteIdentical() throws Exception {
        Path fresh = moduleDir().resolve("target/cuda/strata.fatbin");
        Assumptions.assumeTrue(Files.exists(fresh), "no fresh nvcc build at " + fresh + " (nvcc not on PATH at build time)");
        String stamp = Files.readString(fresh.resolveSibling("strata.fatbin.sha256")).trim();
        Assumptions.assumeTrue(stamp.equals(sourceHash(SOURCES)), "target/cuda fatbin predates the current sources; rebuild");
        // Byte identity is a property of one compiler build: another nvcc may emit other bytes.
        String used = Files.readString(CHECKED_IN.resolveSibling("strata.fatbin.nvcc")).trim();
        String here = Files.readString(fresh.resolveSibling("strata.fatbin.nvcc")).trim();
        Assumptions.assumeTrue(used.equals(here), "checked-in fatbin built by '" + used + "', nvcc here is '" + here + "'");
        byte[] a = Files.readAllBytes(fresh), b = Files.readAllBytes(CHECKED_IN);
        assertEquals(b.length, a.length, "fresh nvcc fatbin size vs checked-in");
        assertArrayEquals(b, a, "fresh nvcc fatbin differs from the checked-in one; run build.sh --update");
    }
}
