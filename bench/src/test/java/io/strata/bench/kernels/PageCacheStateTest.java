package io.strata.bench.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PageCacheStateTest {
    @Test
    void readsAFileThroughAndReportsAShareOfIt(@TempDir Path tmp) throws IOException {
        assumeTrue(Files.isReadable(Path.of("/proc/self/smaps")), "no /proc/self/smaps here");
        Path f = tmp.resolve("w.bin");
        Files.write(f, new byte[(6 << 20) + 3]);
        PageCacheState.FileState s = PageCacheState.readThrough(f);
        assertEquals((6 << 20) + 3, s.bytes());
        assertTrue(s.hugeMappedBytes() >= 0 && s.hugeMappedBytes() <= s.bytes(), "huge " + s.hugeMappedBytes());
        assertTrue(s.hugeMappedBytes() % (2 << 20) == 0, "whole 2 MiB pages: " + s.hugeMappedBytes());
        assertEquals((double) s.hugeMappedBytes() / s.bytes(), s.share(), 1e-12);
        assertEquals(0, PageCacheState.readThrough(Files.createFile(tmp.resolve("empty"))).bytes());
        var e = assertThrows(IOException.class, () -> PageCacheState.readThrough(tmp.resolve("missing.gguf")));
        assertTrue(e.getMessage().contains("missing.gguf"), e.getMessage());
    }
}
